"""The de-identified research export on a few registered patients: none of their
identifiers in the files, ages over 89 grouped, restricted ZIP areas as 000, one date
offset per patient, years only on request, refused for a nurse, audited with counts."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.clinical.privacy import safe_harbor
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.errors import RoleNotAllowed
from ketaclinic.kit.time import utcnow
from ketaclinic.measures import service as measures
from ketaclinic.measures.schemas import ResponseIn, TreatmentIn
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import ContactIn, DiagnosisIn, PatientCreate
from ketaclinic.research import files
from ketaclinic.research.export import SHIFT_PURPOSE, deidentified
from tests.conftest import CLINIC_TZ, Persona

SECRET = b"research-test-secret"
# (given, family, born, postal, phone, email, street, diagnosis)
PEOPLE = [
    (
        "Wilhelmina",
        "Oyelaran-Frost",
        date(1931, 2, 11),
        "87801",
        "+1 505 555 0191",
        "w.frost@mail.example.org",
        "4410 Juniper Way",
        "F33.2",
    ),
    (
        "Bartholomew",
        "Quennell",
        date(1984, 7, 23),
        "78704",
        "+1 512 555 0192",
        "bq@mail.example.org",
        "17 Cedar Bend",
        "F43.10",
    ),
    (
        "Philippa",
        "Strathmore",
        date(1969, 11, 2),
        "79015-4410",
        "+1 512 555 0193",
        "pstrath@mail.example.org",
        "900 Mesquite Trl",
        "G90.511",
    ),
]


def _phq9(total: int) -> dict[str, int | bool]:
    answers: dict[str, int | bool] = {f"phq9_{i}": 0 for i in range(1, 10)}
    for i in range(1, 9):
        answers[f"phq9_{i}"] = min(3, max(0, total - 3 * (i - 1)))
    return answers


def _chart(db: Session, admin: Persona, nurse: Persona) -> list[tuple[Patient, list[datetime]]]:
    desk, rn = principal_for(db, admin.user), principal_for(db, nurse.user)
    zone = ZoneInfo(CLINIC_TZ)
    charted = []
    for n, (given, family, born, postal, phone, email, street, code) in enumerate(PEOPLE):
        patient = patients.create_patient(
            db,
            desk,
            PatientCreate(
                given_name=given,
                family_name=family,
                birth_date=born,
                sex_at_birth="female" if n != 1 else "male",
                phone=phone,
                email=email,
                address_line=street,
                city="Socorro",
                region="NM" if postal.startswith("8") else "TX",
                postal_code=postal,
                country="US",
                diagnoses=[DiagnosisIn(code=code, label="As coded")],
                contacts=[
                    ContactIn(name=f"Escort {family}", phone=f"+1 505 555 07{n}0", is_escort=True)
                ],
            ),
        )
        first = datetime.combine(
            utcnow().astimezone(zone).date() - timedelta(days=40 + 9 * n),
            datetime.min.time().replace(hour=10),
            zone,
        )
        given_at = [first + timedelta(days=d) for d in (0, 3, 7, 10)]
        for at in given_at:
            measures.record_treatment(
                db, rn, patient, TreatmentIn(given_at=at, modality="iv_ketamine")
            )
        for at, total in ((first - timedelta(hours=1), 18), (first + timedelta(days=20), 7)):
            measures.record_response(
                db,
                rn,
                patient,
                ResponseIn(instrument_id="phq9", answers=_phq9(total), completed_at=at),
            )
        charted.append(
            (patient, [*given_at, first - timedelta(hours=1), first + timedelta(days=20)])
        )
    db.flush()
    return charted


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _offset(clinic: Clinic, patient: Patient) -> int:
    return safe_harbor.date_offset(SECRET, f"{SHIFT_PURPOSE}:{clinic.id}:{patient.id}")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _identifiers(patient: Patient, dates: list[datetime]) -> list[str]:
    born = patient.birth_date
    found = [
        patient.given_name,
        patient.family_name,
        patient.mrn,
        patient.phone or "",
        patient.email or "",
        patient.address_line or "",
        patient.postal_code or "",
        (patient.postal_code or "")[:5],
        born.isoformat(),
        born.strftime("%m/%d/%Y"),
        f"Escort {patient.family_name}",
        patient.city or "",
    ]
    zone = ZoneInfo(CLINIC_TZ)
    found += [d.astimezone(zone).date().isoformat() for d in dates]
    found += [d.astimezone(ZoneInfo("UTC")).date().isoformat() for d in dates]
    return [f for f in found if f]


def test_it_releases_none_of_the_patients_identifiers(
    db: Session, clinic: Clinic, admin: Persona, nurse: Persona
) -> None:
    charted = _chart(db, admin, nurse)
    made = deidentified(db, principal_for(db, admin.user), clinic, SECRET)
    content = "\n".join(files.contents(made).values())
    # Every identifier but the dates is looked for everywhere. A released date may equal
    # one of the patient's real days by chance (the series shifted by a random offset can
    # land on another of its own days: flaky as a string search); what may never happen
    # is a series released on its real dates, so each patient's released days are their
    # real days moved by their own offset, never by 0 (test below checks every row).
    zone = ZoneInfo(CLINIC_TZ)
    released_firsts = {r["first_treatment_date"] for r in made.tables["patients"]}
    for patient, dates in charted:
        for identifier in _identifiers(patient, dates):
            if not ISO_DAY.fullmatch(identifier):
                assert identifier not in content, identifier
        offset = _offset(clinic, patient)
        real_first = dates[0].astimezone(zone).date()
        assert offset != 0
        assert (real_first + timedelta(days=offset)).isoformat() in released_firsts
    studies = {r["study_id"] for r in made.tables["patients"]}
    for patient, _dates in charted:
        assert not any(str(patient.id) in s for s in studies)
        assert all(patient.mrn[2:] not in s for s in studies)


def test_it_groups_ages_over_89_and_shows_restricted_zips_as_000(
    db: Session, clinic: Clinic, admin: Persona, nurse: Persona
) -> None:
    _chart(db, admin, nurse)
    made = deidentified(db, principal_for(db, admin.user), clinic, SECRET)
    by_age = {r["age"]: r for r in made.tables["patients"]}
    assert "90+" in by_age and len(by_age) == 3
    oldest = by_age["90+"]
    assert oldest["birth_year"] == "" and oldest["zip3"] == "000"
    zips = sorted(r["zip3"] for r in made.tables["patients"])
    assert zips == ["000", "000", "787"]  # Socorro NM 878 and Amarillo TX 790 are restricted
    groups = {r["diagnosis_groups"] for r in made.tables["patients"]}
    assert groups == {"depression", "ptsd", "crps"}


def test_it_shifts_every_date_of_a_patient_by_the_one_secret_offset(
    db: Session, clinic: Clinic, admin: Persona, nurse: Persona
) -> None:
    charted = _chart(db, admin, nurse)
    made = deidentified(db, principal_for(db, admin.user), clinic, SECRET)
    zone = ZoneInfo(CLINIC_TZ)
    first_of = {r["study_id"]: r["first_treatment_date"] for r in made.tables["patients"]}
    # Every dated row: its date minus its interval is the patient's shifted first treatment.
    for name in ("treatments", "questionnaire_scores"):
        for row in made.tables[name]:
            anchor = date.fromisoformat(row["date"]) - timedelta(
                days=int(row["days_from_first_treatment"])
            )
            assert anchor.isoformat() == first_of[row["study_id"]]
    # ...and the shift is the keyed hash of the secret and that patient.
    expected = set()
    for patient, dates in charted:
        offset = safe_harbor.date_offset(SECRET, f"{SHIFT_PURPOSE}:{clinic.id}:{patient.id}")
        expected.add((dates[0].astimezone(zone).date() + timedelta(days=offset)).isoformat())
    assert set(first_of.values()) == expected


def test_it_draws_new_study_ids_each_time_but_keeps_the_offsets(
    db: Session, clinic: Clinic, admin: Persona, nurse: Persona
) -> None:
    _chart(db, admin, nurse)
    reader = principal_for(db, admin.user)
    one, two = (deidentified(db, reader, clinic, SECRET) for _ in range(2))
    assert {r["study_id"] for r in one.tables["patients"]}.isdisjoint(
        {r["study_id"] for r in two.tables["patients"]}
    )
    firsts = [sorted(r["first_treatment_date"] for r in e.tables["patients"]) for e in (one, two)]
    assert firsts[0] == firsts[1]


def test_it_releases_only_years_when_asked(
    db: Session, clinic: Clinic, admin: Persona, nurse: Persona
) -> None:
    _chart(db, admin, nurse)
    made = deidentified(db, principal_for(db, admin.user), clinic, SECRET, years_only=True)
    written = files.contents(made)
    assert "date" not in _rows(written["treatments.csv"])[0]
    years = {r["year"] for r in _rows(written["treatments.csv"])}
    assert years <= {str(utcnow().year), str(utcnow().year - 1)}

    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", "".join(written.values()))
    assert "Safe Harbor" in written["README.md"]


def test_it_describes_every_column_it_writes(
    db: Session, clinic: Clinic, admin: Persona, nurse: Persona
) -> None:
    _chart(db, admin, nurse)
    written = files.contents(deidentified(db, principal_for(db, admin.user), clinic, SECRET))
    described = {(r["file"], r["column"]) for r in _rows(written["data_dictionary.csv"])}
    for name, text in written.items():
        if name.endswith(".csv") and name != "data_dictionary.csv":
            header = next(csv.reader(io.StringIO(text)))
            assert {(name, c) for c in header} <= described
    assert "DEVIATION" in written["README.md"]


def test_it_refuses_a_nurse_and_audits_an_export_with_counts_only(
    db: Session, clinic: Clinic, admin: Persona, nurse: Persona
) -> None:
    charted = _chart(db, admin, nurse)
    with pytest.raises(RoleNotAllowed):
        deidentified(db, principal_for(db, nurse.user), clinic, SECRET)
    made = deidentified(db, principal_for(db, admin.user), clinic, SECRET)
    db.commit()
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "research.export")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.clinic_id == clinic.id and event.user_id == admin.user.id
    detail = json.loads(event.detail) if isinstance(event.detail, str) else event.detail
    assert detail["rows"] == made.counts() and detail["rows"]["treatments"] == 12
    for patient, _dates in charted:
        assert patient.family_name not in json.dumps(detail)
