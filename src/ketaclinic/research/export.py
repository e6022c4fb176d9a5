"""A clinic's data de-identified for research by the HIPAA Safe Harbor method
(45 CFR 164.514(b)(2); docs/clinical-references.md#privacy; rules in
``clinical.privacy.safe_harbor``).

What is released is only what the data dictionary lists (``research.dictionary``):
coded values, numbers and dates; no name, address below the state, phone, email,
record number, database id, device, note or any other free text. Each patient gets a
study id drawn at random for this export (not derived from the MRN or the row id, so
two exports cannot be linked by it). Dates are shifted per patient by a secret offset
(a keyed hash of the deployment's secret and the patient, the same for all of that
patient's dates and in every export); shifted full dates are a deviation from Safe
Harbor, so ``years_only`` releases the true year alone instead. Intervals in days
from the patient's first treatment are released in both forms.

Reading the charts is audited as one ``research.export`` event per clinic with the row
counts, never the data."""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.chairside.models import (
    AdverseEvent,
    ChairsideSession,
    RescueMedication,
    SessionAlert,
    SessionEvent,
    VitalReading,
)
from ketaclinic.clinical.chairside import load_vocabulary
from ketaclinic.clinical.privacy import safe_harbor
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import as_utc, today_in
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Diagnosis, Patient
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.research.dictionary import COLUMNS, diagnosis_group
from ketaclinic.treatments.models import TreatmentSession

SHIFT_PURPOSE = "research-date-shift"
# Study ids are random capitals without vowels or digits: no word, no number (a ZIP, a
# date, a record number) can show in one.
STUDY_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"


@dataclass
class Export:
    clinic: str
    years_only: bool
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


@dataclass
class _Subject:
    study_id: str
    offset: int
    first: datetime | None
    numbers: dict[int, int] = field(default_factory=dict)  # treatment id -> 1, 2, ...


class _Dates:
    """A patient's dates as released: shifted, or the year alone."""

    def __init__(self, years_only: bool, zone: str) -> None:
        self.years_only = years_only
        self.zone = zone

    def when(self, s: _Subject, value: datetime | date | None) -> dict[str, Any]:
        key = "year" if self.years_only else "date"
        if value is None:
            return {key: "", "days_from_first_treatment": ""}
        day = self.local(value)
        shown = day.year if self.years_only else safe_harbor.shift(day, s.offset).isoformat()
        since = (day - self.local(s.first)).days if s.first is not None else ""
        return {key: shown, "days_from_first_treatment": since}

    def local(self, value: datetime | date) -> date:
        if isinstance(value, datetime):
            return as_utc(value).astimezone(ZoneInfo(self.zone)).date()
        return value


def deidentified(
    db: Session, principal: Principal, clinic: Clinic, secret: bytes, *, years_only: bool = False
) -> Export:
    """Every patient of ``clinic``, de-identified; refused without ``research.export``."""
    principal.require(Permission.RESEARCH_EXPORT, clinic.id)
    today = today_in(clinic.timezone)
    dates = _Dates(years_only, clinic.timezone)
    patients = list(db.scalars(in_clinics(select(Patient), Patient.clinic_id, [clinic.id])))
    ids = in_clinics(select(Patient.id), Patient.clinic_id, [clinic.id]).scalar_subquery()
    treatments = _by_patient(
        db.execute(
            select(TreatmentSession, TreatmentPlan.protocol_id)
            .outerjoin(TreatmentPlan, TreatmentPlan.id == TreatmentSession.plan_id)
            .where(TreatmentSession.patient_id.in_(ids))
            .order_by(TreatmentSession.given_at, TreatmentSession.id)
        ).all(),
        lambda row: row[0].patient_id,
    )
    used = set()
    subjects: dict[int, _Subject] = {}
    for p in patients:
        while (study := "S" + "".join(secrets.choice(STUDY_LETTERS) for _ in range(8))) in used:
            continue
        used.add(study)
        given = treatments.get(p.id, [])
        key = f"{SHIFT_PURPOSE}:{clinic.id}:{p.id}"
        s = _Subject(
            study, safe_harbor.date_offset(secret, key), given[0][0].given_at if given else None
        )
        s.numbers = {t.id: n for n, (t, _proto) in enumerate(given, start=1)}
        subjects[p.id] = s
    out = Export(clinic.slug, years_only)
    out.tables["patients"] = _patients(db, clinic.id, patients, subjects, treatments, today, dates)
    out.tables["treatments"] = [
        {
            "study_id": subjects[pid].study_id,
            "treatment_number": subjects[pid].numbers[t.id],
            **dates.when(subjects[pid], t.given_at),
            "modality": t.modality,
            "protocol": protocol or "",
        }
        for pid, rows in treatments.items()
        for t, protocol in rows
    ]
    out.tables["questionnaire_scores"] = _scores(db, ids, subjects, dates)
    out.tables["vital_sign_summaries"] = _vitals(db, ids, subjects, dates)
    out.tables["adverse_events"], out.tables["rescue_medications"] = _events(
        db, ids, subjects, dates
    )
    for name, rows in out.tables.items():
        rows.sort(key=lambda r: (r["study_id"], *(str(r.get(c, "")) for c in COLUMNS[name][1:3])))
    audit.record(
        db,
        principal,
        "research.export",
        clinic_id=clinic.id,
        resource_type="clinic",
        resource_id=clinic.id,
        detail={"years_only": years_only, "rows": out.counts()},
    )
    return out


def _by_patient(rows: Any, patient_of: Any) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        found[patient_of(row)].append(row)
    return found


def _patients(
    db: Session,
    clinic_id: int,
    patients: list[Patient],
    subjects: dict[int, _Subject],
    treatments: dict[int, list[Any]],
    today: date,
    dates: _Dates,
) -> list[dict[str, Any]]:
    codes: dict[int, list[str]] = defaultdict(list)
    for pid, code in db.execute(
        select(Diagnosis.patient_id, Diagnosis.code)
        .where(
            Diagnosis.patient_id.in_(
                in_clinics(select(Patient.id), Patient.clinic_id, [clinic_id])
            ),
            Diagnosis.active.is_(True),
        )
        .order_by(Diagnosis.id)
    ):
        if code not in codes[pid]:
            codes[pid].append(code)
    rows = []
    for p in patients:
        s = subjects[p.id]
        on = dates.local(s.first) if s.first is not None else today
        first = dates.when(s, s.first)
        rows.append(
            {
                "study_id": s.study_id,
                "sex_at_birth": p.sex_at_birth,
                "age": safe_harbor.age_group(p.birth_date, on),
                "birth_year": safe_harbor.birth_year(p.birth_date, on),
                "state": p.region if (p.country or "US") == "US" else "",
                "zip3": safe_harbor.zip3(p.postal_code) if (p.country or "US") == "US" else "",
                "diagnosis_codes": ";".join(codes[p.id]),
                "diagnosis_groups": ";".join(
                    sorted({g for c in codes[p.id] if (g := diagnosis_group(c))})
                ),
                "first_treatment_" + ("year" if dates.years_only else "date"): first.get(
                    "year", first.get("date")
                ),
                "treatments": len(treatments.get(p.id, [])),
            }
        )
    return rows


def _scores(
    db: Session, ids: Any, subjects: dict[int, _Subject], dates: _Dates
) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.patient_id.in_(ids))
        .order_by(QuestionnaireResponse.completed_at, QuestionnaireResponse.id)
    )
    return [
        {
            "study_id": subjects[r.patient_id].study_id,
            "instrument": r.instrument_id,
            **dates.when(subjects[r.patient_id], r.completed_at),
            "instrument_version": r.instrument_version,
            "total": r.total,
            "max_total": r.max_total,
            "band": r.band,
            "completed_by": r.completed_by,
        }
        for r in rows
    ]


def _vitals(
    db: Session, ids: Any, subjects: dict[int, _Subject], dates: _Dates
) -> list[dict[str, Any]]:
    sessions = list(
        db.scalars(
            select(ChairsideSession)
            .where(ChairsideSession.patient_id.in_(ids))
            .order_by(ChairsideSession.id)
        )
    )
    wanted = select(ChairsideSession.id).where(ChairsideSession.patient_id.in_(ids))
    readings = _by_patient(
        db.scalars(select(VitalReading).where(VitalReading.session_id.in_(wanted))),
        lambda r: r.session_id,
    )
    alerts = _by_patient(
        db.scalars(select(SessionAlert).where(SessionAlert.session_id.in_(wanted))),
        lambda a: a.session_id,
    )
    stopped = set()
    for e in db.scalars(
        select(SessionEvent).where(
            SessionEvent.session_id.in_(wanted),
            SessionEvent.action.in_(["stop", "end_administration"]),
        )
    ):
        detail = json.loads(e.detail) if e.detail else {}
        if e.action == "stop" or detail.get("ended_early"):
            stopped.add(e.session_id)
    rows = []
    for s in sessions:
        subject = subjects[s.patient_id]
        mine = readings.get(s.id, [])

        def top(measure: str, pick: Any = max, mine: list[VitalReading] = mine) -> Any:
            values = [v for r in mine if (v := getattr(r, measure)) is not None]
            return pick(values) if values else ""

        severity = [a.severity for a in alerts.get(s.id, [])]
        high = any((r.systolic or 0) > 180 or (r.diastolic or 0) > 110 for r in mine)
        rows.append(
            {
                "study_id": subject.study_id,
                "treatment_number": subject.numbers.get(s.treatment_session_id or 0, ""),
                **dates.when(subject, s.administration_started_at or s.checked_in_at),
                "plan_session_number": s.session_number,
                "protocol": s.protocol_id,
                "state": s.state,
                "readings": len(mine),
                "max_systolic": top("systolic"),
                "max_diastolic": top("diastolic"),
                "max_heart_rate": top("heart_rate"),
                "min_spo2": top("spo2", min),
                "max_cadss": top("cadss"),
                "over_180_110": "yes" if high else "no",
                "alerts_urgent": severity.count("urgent"),
                "alerts_warning": severity.count("warning"),
                "stopped_early": "yes" if s.id in stopped else "no",
            }
        )
    return rows


def _events(
    db: Session, ids: Any, subjects: dict[int, _Subject], dates: _Dates
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    treated = dict(
        db.execute(
            select(ChairsideSession.id, ChairsideSession.treatment_session_id).where(
                ChairsideSession.patient_id.in_(ids)
            )
        ).all()
    )

    effects = {e.key for e in load_vocabulary().side_effects}

    def number(patient_id: int, session_id: int) -> Any:
        return subjects[patient_id].numbers.get(treated.get(session_id) or 0, "")

    adverse = [
        {
            "study_id": subjects[a.patient_id].study_id,
            "treatment_number": number(a.patient_id, a.session_id),
            **dates.when(subjects[a.patient_id], a.onset_at),
            "effect": a.effect,
            "grade": a.grade,
            "serious": "yes" if a.serious else "no",
        }
        for a in db.scalars(
            select(AdverseEvent).where(AdverseEvent.patient_id.in_(ids)).order_by(AdverseEvent.id)
        )
    ]
    rescue = [
        {
            "study_id": subjects[m.patient_id].study_id,
            "treatment_number": number(m.patient_id, m.session_id),
            **dates.when(subjects[m.patient_id], m.given_at),
            "drug": m.drug,
            "dose": f"{m.dose.normalize():f}",
            "unit": m.unit,
            "route": m.route,
            "reason": m.reason if m.reason in effects else "",
        }
        for m in db.scalars(
            select(RescueMedication)
            .where(RescueMedication.patient_id.in_(ids))
            .order_by(RescueMedication.id)
        )
    ]
    return adverse, rescue
