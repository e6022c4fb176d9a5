"""A hand-built cohort: a few patients whose figures are counted by hand in the tests
(issue 20's definitions). The test clinic keeps Chicago time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Diagnosis, Patient
from ketaclinic.treatments.models import TreatmentSession

SINCE, UNTIL = date(2026, 9, 1), date(2026, 9, 30)
NAMES = ("Quillon", "Marrowby", "Eskerine", "Tolliver", "Farrand", "Ostrava")


def at(month: int, day: int, hour: int = 15) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def patient(db: Session, clinic: Clinic, n: int, *, sex: str = "female", born: int = 1980) -> int:
    family = NAMES[n % len(NAMES)]
    p = Patient(
        clinic_id=clinic.id,
        mrn=f"RPT{n:05d}",
        given_name="Cohortina",
        family_name=family,
        search_name=f"cohortina {family.lower()}",
        birth_date=date(born, 6, 15),
        sex_at_birth=sex,
    )
    db.add(p)
    db.flush()
    return p.id


def treat(db: Session, patient_id: int, *times: datetime) -> None:
    db.add_all(
        TreatmentSession(patient_id=patient_id, given_at=t, modality="iv_ketamine") for t in times
    )


def score(db: Session, patient_id: int, instrument: str, when: datetime, total: int) -> None:
    db.add(
        QuestionnaireResponse(
            patient_id=patient_id,
            instrument_id=instrument,
            instrument_version="1.0",
            completed_at=when,
            completed_by="patient",
            answers="{}",
            total=total,
            max_total=27,
            band="",
        )
    )


def build(db: Session, clinic: Clinic, other: Clinic) -> dict[str, int]:
    """P1 responds then loses it; P2's induction is too short; P3 remits and has a
    booster; P4 ended before the range; P5 is in the other clinic; P6 ends at 22:00 on
    Sept 30 in Chicago (Oct 1 in UTC) and does not respond."""
    ids = {}
    p1 = ids["p1"] = patient(db, clinic, 1)
    treat(db, p1, *(at(9, d) for d in (1, 3, 5, 8, 10, 12)))
    score(db, p1, "phq9", at(8, 31), 20)
    score(db, p1, "phq9", at(9, 20), 12)
    score(db, p1, "phq9", at(10, 1), 8)  # day 30: the end-of-induction measure
    score(db, p1, "phq9", at(10, 15), 9)
    score(db, p1, "phq9", at(10, 29), 14)  # the first of two misses: response lost
    score(db, p1, "phq9", at(11, 12), 15)
    score(db, p1, "gad7", at(8, 31), 15)  # no end measure: missing
    db.add(Diagnosis(patient_id=p1, code="F33.1", label="Major depressive disorder, recurrent"))
    p2 = ids["p2"] = patient(db, clinic, 2)
    treat(db, p2, *(at(9, d) for d in (1, 2, 3, 4)))
    score(db, p2, "phq9", at(8, 31), 20)
    score(db, p2, "phq9", at(9, 20), 2)
    p3 = ids["p3"] = patient(db, clinic, 3, sex="male", born=1995)
    treat(db, p3, *(at(9, d) for d in (2, 4, 6, 9, 11)))
    treat(db, p3, at(10, 20))  # a booster (no maintenance plan)
    score(db, p3, "phq9", at(9, 1), 12)
    score(db, p3, "phq9", at(9, 30), 3)
    db.add(Diagnosis(patient_id=p3, code="F43.10", label="Post-traumatic stress disorder"))
    p4 = ids["p4"] = patient(db, clinic, 4)
    treat(db, p4, *(at(5, d) for d in (1, 3, 5, 8)))
    score(db, p4, "phq9", at(4, 30), 20)
    score(db, p4, "phq9", at(5, 20), 2)
    p5 = ids["p5"] = patient(db, other, 5)
    treat(db, p5, *(at(9, d) for d in (1, 3, 5, 8)))
    score(db, p5, "phq9", at(8, 31), 20)
    score(db, p5, "phq9", at(9, 20), 2)
    p6 = ids["p6"] = patient(db, clinic, 6, born=1950)
    treat(db, p6, *(at(9, d) for d in (20, 22, 24, 27)), at(10, 1, hour=3))
    score(db, p6, "phq9", at(9, 19), 9)
    score(db, p6, "phq9", at(10, 10), 5)
    db.flush()
    return ids
