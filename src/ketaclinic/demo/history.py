"""A year of history per demo clinic, so the outcome reports and curves mean
something: about 200 patients each, registered over the year before the demo's
"now", with induction series on signed plans of real protocols, questionnaires
scored by the pure core, the chairside record of every infusion, maintenance,
relapses and boosters (``history_courses`` says how the proportions are chosen).

Written in bulk (SQLAlchemy Core ``insert`` with ``executemany``): a few thousand
sessions and tens of thousands of rows in seconds. Every row is one the app could have
written (the constraints, triggers and append-only rules hold), but it is past
history: no ledger entries are written for these infusions (the stock they used is
not in the demo's safes; ``ledger verify`` sees only the demo's month of stock), no
dose checks, appointments or signed notes; the sessions end discharged. One audit
event per clinic records the load. Deterministic: one seeded generator per clinic,
its own, so the rest of the demo stays as it was."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ketaclinic.appointments.holidays import holiday_closures
from ketaclinic.audit import service as audit
from ketaclinic.chairside.models import (
    AdverseEvent,
    AlertAction,
    ChairsideSession,
    RescueMedication,
    SessionAlert,
    SessionEvent,
    VitalReading,
)
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.history_answers import answers_for
from ketaclinic.demo.history_chairside import Charted, chart
from ketaclinic.demo.history_courses import Course, Planner
from ketaclinic.demo.history_people import Person, mrn, people
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.time import today_in, utcnow
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import BodyMeasurement, Contact, Diagnosis, Patient
from ketaclinic.plans.models import PlanEvent, TreatmentPlan
from ketaclinic.plans.service import PlanPolicy
from ketaclinic.plans.service.building import schedule
from ketaclinic.treatments.models import TreatmentSession

PATIENTS = 200


@dataclass
class Loaded:
    patients: int
    infusions: int
    responses: int


def _ids(db: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in one executemany with ids reserved beforehand: on PostgreSQL
    from the table's own sequence, on SQLite after the largest id (this transaction
    holds the write lock). RETURNING per row would cost more than the inserts."""
    if not rows:
        return []
    table = model.__table__
    if db.get_bind().dialect.name == "postgresql":
        ids = list(
            db.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": len(rows)},
            )
        )
    else:
        start = (db.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(start, start + len(rows)))
    _bulk(db, model, [row | {"id": i} for row, i in zip(rows, ids, strict=True)])
    return ids


def _bulk(db: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Core executemany (no ORM bookkeeping, no RETURNING)."""
    if rows:
        db.connection().execute(insert(model.__table__), rows)


def load_history(
    db: Session, clinic: Clinic, staff: dict[Role, Principal], seed: int, count: int = PATIENTS
) -> Loaded:
    rng = random.Random(f"history:{seed}:{clinic.slug}")
    zone = ZoneInfo(clinic.timezone)
    today = today_in(clinic.timezone)
    closed = set(
        holiday_closures(
            clinic.country or "US", clinic.subdivision, today - timedelta(days=400), today
        )
    )
    planner = Planner(rng, zone, today, closed)
    existing = db.execute(
        select(Patient.given_name, Patient.family_name, Patient.mrn).where(
            Patient.clinic_id == clinic.id
        )
    ).all()
    names = {(g, f) for g, f, _m in existing}
    mrns = {m for _g, _f, m in existing}
    serial = 0 if clinic.slug == "lakeside" else 1000
    who = people(rng, count, clinic.subdivision or "TX", today, names, serial)
    courses = [planner.course(p.kind) for p in who]
    desk = staff[Role.FRONT_DESK].user_id
    nurse = staff[Role.NURSE].user_id
    prescriber = staff[Role.PRESCRIBER].user_id
    registered = [
        c.infusions[0].at - timedelta(days=rng.randint(7, 30), hours=rng.randint(0, 5))
        for c in courses
    ]
    patient_ids = _ids(
        db,
        Patient,
        [
            _patient_row(clinic.id, p, mrn(rng, mrns), at, desk)
            for p, at in zip(who, registered, strict=True)
        ],
    )
    _charts(db, who, patient_ids, registered, desk)
    plan_ids = _plans(db, rng, courses, patient_ids, registered, nurse, prescriber)
    treatment_ids = _treatments(db, courses, patient_ids, plan_ids, nurse)
    _chairside(db, rng, clinic.id, courses, patient_ids, plan_ids, treatment_ids, nurse)
    responses = _responses(db, rng, courses, patient_ids, treatment_ids, prescriber)
    loaded = Loaded(len(patient_ids), sum(len(t) for t in treatment_ids), responses)
    audit.record(
        db,
        staff[Role.ADMIN],
        "demo.history_loaded",
        clinic_id=clinic.id,
        resource_type="clinic",
        resource_id=clinic.id,
        detail={
            "patients": loaded.patients,
            "infusions": loaded.infusions,
            "responses": loaded.responses,
        },
    )
    return loaded


def _patient_row(clinic_id: int, p: Person, record: str, at: datetime, desk: int) -> dict[str, Any]:
    return {
        "clinic_id": clinic_id,
        "mrn": record,
        "given_name": p.given,
        "family_name": p.family,
        "search_name": f"{p.given} {p.family}".lower(),
        "birth_date": p.birth,
        "sex_at_birth": p.sex,
        "phone": p.phone,
        "email": p.email,
        "address_line": p.address,
        "city": p.city,
        "region": p.region,
        "postal_code": p.postal,
        "country": "US",
        "status": "active",
        "created_at": at,
        "updated_at": at,
        "created_by_id": desk,
    }


def _charts(
    db: Session, who: list[Person], ids: list[int], registered: list[datetime], desk: int
) -> None:
    weights, diagnoses, contacts = [], [], []
    for p, pid, at in zip(who, ids, registered, strict=True):
        weights.append(
            {
                "patient_id": pid,
                "measured_at": at,
                "weight_kg": Decimal(str(p.weight_kg)),
                "height_cm": Decimal(p.height_cm),
                "weight_entered": Decimal(str(p.weight_kg)),
                "weight_unit": "kg",
                "height_entered": Decimal(p.height_cm),
                "height_unit": "cm",
                "recorded_by_id": desk,
                "recorded_at": at,
            }
        )
        diagnoses += [
            {"patient_id": pid, "code": code, "label": label, "active": True, "recorded_at": at}
            for code, label in p.diagnoses
        ]
        contacts.append(
            {
                "patient_id": pid,
                "name": p.escort,
                "relationship": p.relation,
                "phone": p.escort_phone,
                "is_escort": True,
                "is_emergency": True,
                "active": True,
                "recorded_at": at,
            }
        )
    _bulk(db, BodyMeasurement, weights)
    _bulk(db, Diagnosis, diagnoses)
    _bulk(db, Contact, contacts)


def _plans(
    db: Session,
    rng: random.Random,
    courses: list[Course],
    patient_ids: list[int],
    registered: list[datetime],
    nurse: int,
    prescriber: int,
) -> list[list[int]]:
    """Each course's plans (draft, signed, started, then completed or stopped)."""
    policy = PlanPolicy()
    rows, owners = [], []
    for c, pid, at in zip(courses, patient_ids, registered, strict=True):
        for index, plan in enumerate(c.plans):
            protocol = policy.protocol(plan.protocol_id)
            spec = protocol.preparations[0]
            drafted = (
                at + timedelta(days=2) if index == 0 else _first_of(c, index) - timedelta(days=2)
            )
            rows.append(
                {
                    "patient_id": pid,
                    "lineage_id": f"{rng.getrandbits(64):016x}",
                    "version": 1,
                    "protocol_id": protocol.id,
                    "protocol_version": protocol.version,
                    "dose_amount": protocol.dose.amount,
                    "dose_unit": protocol.dose.unit,
                    "preparation": spec.label,
                    "weight_basis": protocol.dose.weight_basis,
                    "start_date": plan.start,
                    "sessions": json.dumps(schedule(protocol, plan.start)),
                    "note": "",
                    "created_by_id": nurse,
                    "created_at": drafted,
                }
            )
            owners.append((c, index, pid, drafted))
    ids = _ids(db, TreatmentPlan, rows)
    events = []
    by_course: dict[int, list[int]] = {}
    for plan_id, (c, index, pid, drafted) in zip(ids, owners, strict=True):
        by_course.setdefault(id(c), []).append(plan_id)
        steps: list[tuple[str, str, int, datetime, str | None]] = [
            ("draft", "draft", nurse, drafted, None),
            ("sign", "signed", prescriber, drafted + timedelta(hours=3), None),
            ("start", "active", nurse, _first_of(c, index) - timedelta(minutes=50), None),
        ]
        last = _last_of(c, index)
        ends = c.plans[index].ends
        if ends == "completed" and last is not None:
            steps.append(("complete", "completed", nurse, last + timedelta(hours=3), None))
        elif ends == "stopped" and last is not None:
            why = "Did not return after the first infusions; declined further treatment."
            steps.append(("stop", "stopped", prescriber, last + timedelta(days=14), why))
        for seq, (action, status, by, when, reason) in enumerate(steps, start=1):
            events.append(
                {
                    "plan_id": plan_id,
                    "patient_id": pid,
                    "seq": seq,
                    "action": action,
                    "status": status,
                    "reason": reason,
                    "by_id": by,
                    "at": min(when, utcnow() - timedelta(minutes=1)),
                }
            )
    _bulk(db, PlanEvent, events)
    return [by_course[id(c)] for c in courses]


def _first_of(c: Course, plan: int) -> datetime:
    return min(i.at for i in c.infusions if i.plan == plan)


def _last_of(c: Course, plan: int) -> datetime | None:
    given = [i.at for i in c.infusions if i.plan == plan]
    return max(given) if given else None


def _treatments(
    db: Session,
    courses: list[Course],
    patient_ids: list[int],
    plan_ids: list[list[int]],
    nurse: int,
) -> list[list[int]]:
    rows, sizes = [], []
    for c, pid, plans in zip(courses, patient_ids, plan_ids, strict=True):
        sizes.append(len(c.infusions))
        rows += [
            {
                "patient_id": pid,
                "given_at": i.at,
                "modality": "iv_ketamine",
                "plan_id": plans[i.plan],
                "recorded_by_id": nurse,
                "recorded_at": i.at + timedelta(minutes=i.minutes + 5),
            }
            for i in c.infusions
        ]
    ids = iter(_ids(db, TreatmentSession, rows))
    return [[next(ids) for _ in range(n)] for n in sizes]


def _chairside(
    db: Session,
    rng: random.Random,
    clinic_id: int,
    courses: list[Course],
    patient_ids: list[int],
    plan_ids: list[list[int]],
    treatment_ids: list[list[int]],
    nurse: int,
) -> None:
    charted: list[tuple[Charted, int]] = []
    for c, pid, plans, treated in zip(courses, patient_ids, plan_ids, treatment_ids, strict=True):
        resting = (rng.randint(108, 138), rng.randint(66, 86), rng.randint(60, 88))
        for infusion, treatment_id in zip(c.infusions, treated, strict=True):
            one = chart(rng, infusion.at, infusion.minutes, infusion.number, nurse, resting)
            one.session |= {
                "clinic_id": clinic_id,
                "patient_id": pid,
                "plan_id": plans[infusion.plan],
                "protocol_id": c.plans[infusion.plan].protocol_id,
                "treatment_session_id": treatment_id,
            }
            charted.append((one, pid))
    session_ids = _ids(db, ChairsideSession, [one.session for one, _pid in charted])
    events, readings, owners = [], [], []
    for (one, pid), sid in zip(charted, session_ids, strict=True):
        events += [e | {"session_id": sid, "patient_id": pid} for e in one.events]
        for r in one.readings:
            readings.append(r | {"session_id": sid, "patient_id": pid})
        owners.append(len(readings) - len(one.readings))
    _bulk(db, SessionEvent, events)
    reading_ids = _ids(db, VitalReading, readings)
    alerts, actions, adverse, rescue = [], [], [], []
    for (one, pid), sid, first in zip(charted, session_ids, owners, strict=True):
        mine = {"session_id": sid, "patient_id": pid}
        for index, alert, action in one.alerts:
            alerts.append(alert | mine | {"reading_id": reading_ids[first + index]})
            actions.append((action, mine))
        adverse += [a | mine for a in one.adverse]
        rescue += [r | mine for r in one.rescue]
    alert_ids = _ids(db, SessionAlert, alerts)
    _bulk(
        db,
        AlertAction,
        [
            a | mine | {"alert_id": aid}
            for aid, (a, mine) in zip(alert_ids, actions, strict=True)
            if a
        ],
    )
    _bulk(db, AdverseEvent, adverse)
    _bulk(db, RescueMedication, rescue)


def _responses(
    db: Session,
    rng: random.Random,
    courses: list[Course],
    patient_ids: list[int],
    treatment_ids: list[list[int]],
    rater: int,
) -> int:
    rows = []
    for c, pid, treated in zip(courses, patient_ids, treatment_ids, strict=True):
        for s in sorted(c.scores, key=lambda s: s.at):
            scored = answers_for(rng, s.instrument, s.total)
            rows.append(
                {
                    "patient_id": pid,
                    "instrument_id": scored.instrument_id,
                    "instrument_version": scored.instrument_version,
                    "completed_at": s.at,
                    # MADRS is clinician-rated; the rest are self-reports.
                    "completed_by": "staff" if s.instrument == "madrs" else "patient",
                    "entered_by_id": rater if s.instrument == "madrs" else None,
                    "session_id": treated[s.infusion] if s.infusion is not None else None,
                    "answers": scored.answers,
                    "total": scored.total,
                    "max_total": scored.max_total,
                    "band": scored.band,
                    "subscores": scored.subscores,
                    "flags": scored.flags,
                    "risk_level": scored.risk_level,
                    "recorded_at": s.at + timedelta(minutes=1),
                }
            )
    _bulk(db, QuestionnaireResponse, rows)
    return len(rows)
