"""The FHIR server's queries. Every one over patient data is limited to the caller's
clinics with ``in_clinics`` (a test reads this module); another clinic's record is
simply not found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from ketaclinic.fhir.models import (
    Allergy,
    Appointment,
    BodyMeasurement,
    ChairsideSession,
    Clinic,
    Diagnosis,
    DoseCheck,
    Medication,
    Membership,
    Patient,
    PlanEvent,
    QuestionnaireResponse,
    SessionEvent,
    TreatmentPlan,
    TreatmentSession,
    User,
    VitalReading,
)
from ketaclinic.kit.scoping import in_clinics

Ids = Sequence[int] | None
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _narrow(stmt: S, column: Any, ids: Ids) -> S:
    """Rows whose ``column`` is one of ``ids``. A ``range`` (a bulk export's chunk:
    every patient of the clinics between two ids) is one BETWEEN, not an IN list of a
    thousand bound values rendered on every query."""
    if ids is None:
        return stmt
    if isinstance(ids, range) and ids.step == 1:
        return stmt.where(column.between(ids.start, ids.stop - 1))
    return stmt.where(column.in_(list(ids)))


@dataclass
class Window:
    """One page of a table's rows in id order (keyset paging): the rows after
    ``after``, at most ``limit`` of them. The query notes the last id it read and
    whether it filled the window (so more rows may follow)."""

    after: int | None
    limit: int
    last: int | None = None
    full: bool = False


def _ordered(stmt: S, column: Any, window: Window | None) -> S:
    if window is None:
        return stmt.order_by(column)
    if window.after is not None:
        stmt = stmt.where(column > window.after)
    return stmt.order_by(column).limit(window.limit)


def _saw(window: Window | None, keys: list[int]) -> None:
    if window is not None:
        window.last = keys[-1] if keys else window.after
        window.full = len(keys) >= window.limit


def patients(
    db: Session, clinic_ids: Sequence[int], ids: Ids, window: Window | None = None
) -> list[Patient]:
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids)
    rows = list(db.scalars(_ordered(_narrow(stmt, Patient.id, ids), Patient.id, window)))
    _saw(window, [p.id for p in rows])
    return rows


def clinics(
    db: Session, clinic_ids: Sequence[int], ids: Ids, window: Window | None = None
) -> list[Clinic]:
    stmt = in_clinics(select(Clinic), Clinic.id, clinic_ids)
    rows = list(db.scalars(_ordered(_narrow(stmt, Clinic.id, ids), Clinic.id, window)))
    _saw(window, [c.id for c in rows])
    return rows


def memberships(
    db: Session,
    clinic_ids: Sequence[int],
    ids: Ids,
    user_ids: Ids = None,
    window: Window | None = None,
) -> list[tuple[Membership, User]]:
    stmt = select(Membership, User).join(User, User.id == Membership.user_id)
    stmt = _narrow(in_clinics(stmt, Membership.clinic_id, clinic_ids), Membership.id, ids)
    stmt = _narrow(stmt, Membership.user_id, user_ids)
    rows = [(m, u) for m, u in db.execute(_ordered(stmt, Membership.id, window))]
    _saw(window, [m.id for m, _ in rows])
    return rows


def users(
    db: Session, clinic_ids: Sequence[int], ids: Ids, window: Window | None = None
) -> list[User]:
    """Staff with a membership in one of the clinics."""
    members = in_clinics(select(Membership.user_id), Membership.clinic_id, clinic_ids)
    stmt = _narrow(select(User).where(User.id.in_(members)), User.id, ids)
    rows = list(db.scalars(_ordered(stmt, User.id, window)))
    _saw(window, [u.id for u in rows])
    return rows


def _of_patients(
    db: Session,
    model: Any,
    clinic_ids: Sequence[int],
    patient_ids: Ids,
    ids: Ids,
    window: Window | None = None,
) -> list[tuple[Any, int]]:
    """Rows of a table hanging off the patient, with the patient's clinic."""
    stmt = select(model, Patient.clinic_id).join(Patient, Patient.id == model.patient_id)
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    stmt = _narrow(_narrow(stmt, model.patient_id, patient_ids), model.id, ids)
    rows = [(row, clinic_id) for row, clinic_id in db.execute(_ordered(stmt, model.id, window))]
    _saw(window, [row.id for row, _ in rows])
    return rows


def diagnoses(
    db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids, window: Window | None = None
) -> list[Any]:
    return _of_patients(db, Diagnosis, clinic_ids, patient_ids, ids, window)


def medications(
    db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids, window: Window | None = None
) -> list[Any]:
    return _of_patients(db, Medication, clinic_ids, patient_ids, ids, window)


def allergies(
    db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids, window: Window | None = None
) -> list[Any]:
    return _of_patients(db, Allergy, clinic_ids, patient_ids, ids, window)


def measurements(db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids) -> list[Any]:
    return _of_patients(db, BodyMeasurement, clinic_ids, patient_ids, ids)


def vital_readings(db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids) -> list[Any]:
    return _of_patients(db, VitalReading, clinic_ids, patient_ids, ids)


def responses(
    db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids, window: Window | None = None
) -> list[Any]:
    return _of_patients(db, QuestionnaireResponse, clinic_ids, patient_ids, ids, window)


def appointments(
    db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids, window: Window | None = None
) -> list[Appointment]:
    stmt = in_clinics(select(Appointment), Appointment.clinic_id, clinic_ids)
    stmt = _narrow(_narrow(stmt, Appointment.patient_id, patient_ids), Appointment.id, ids)
    rows = list(db.scalars(_ordered(stmt, Appointment.id, window)))
    _saw(window, [a.id for a in rows])
    return rows


def sessions(
    db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids, window: Window | None = None
) -> list[tuple[ChairsideSession, Appointment | None, TreatmentSession | None]]:
    stmt = (
        select(ChairsideSession, Appointment, TreatmentSession)
        .outerjoin(Appointment, Appointment.id == ChairsideSession.appointment_id)
        .outerjoin(TreatmentSession, TreatmentSession.id == ChairsideSession.treatment_session_id)
    )
    stmt = in_clinics(stmt, ChairsideSession.clinic_id, clinic_ids)
    stmt = _narrow(
        _narrow(stmt, ChairsideSession.patient_id, patient_ids), ChairsideSession.id, ids
    )
    rows: list[tuple[ChairsideSession, Appointment | None, TreatmentSession | None]] = [
        (s, a, t) for s, a, t in db.execute(_ordered(stmt, ChairsideSession.id, window))
    ]
    _saw(window, [s.id for s, _, _ in rows])
    return rows


def doses_given(
    db: Session, clinic_ids: Sequence[int], session_ids: Sequence[int]
) -> dict[int, SessionEvent]:
    """The event that ended each session's administration (with what was given)."""
    stmt = (
        select(SessionEvent)
        .join(Patient, Patient.id == SessionEvent.patient_id)
        .where(SessionEvent.session_id.in_(list(session_ids)))
        .where(SessionEvent.action.in_(("end_administration", "stop")))
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    return {e.session_id: e for e in db.scalars(stmt.order_by(SessionEvent.id))}


def dose_checks(db: Session, clinic_ids: Sequence[int], ids: Sequence[int]) -> dict[int, DoseCheck]:
    stmt = select(DoseCheck).join(Patient, Patient.id == DoseCheck.patient_id)
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids).where(DoseCheck.id.in_(list(ids)))
    return {c.id: c for c in db.scalars(stmt)}


def plans(
    db: Session, clinic_ids: Sequence[int], patient_ids: Ids, ids: Ids, window: Window | None = None
) -> list[Any]:
    return _of_patients(db, TreatmentPlan, clinic_ids, patient_ids, ids, window)


def plan_events(
    db: Session, clinic_ids: Sequence[int], plan_ids: Sequence[int]
) -> dict[int, list[PlanEvent]]:
    """Each plan's status history, oldest first."""
    stmt = select(PlanEvent).join(Patient, Patient.id == PlanEvent.patient_id)
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    stmt = stmt.where(PlanEvent.plan_id.in_(list(plan_ids))).order_by(PlanEvent.id)
    found: dict[int, list[PlanEvent]] = {}
    for event in db.scalars(stmt):
        found.setdefault(event.plan_id, []).append(event)
    return found


def plan_protocols(
    db: Session, clinic_ids: Sequence[int], plan_ids: Sequence[int]
) -> dict[int, str]:
    stmt = select(TreatmentPlan.id, TreatmentPlan.protocol_id).join(
        Patient, Patient.id == TreatmentPlan.patient_id
    )
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    stmt = stmt.where(TreatmentPlan.id.in_(list(plan_ids)))
    return {pid: protocol for pid, protocol in db.execute(stmt)}


def user_names(db: Session, user_ids: Sequence[int]) -> dict[int, str]:
    stmt = select(User.id, User.name).where(User.id.in_(list(user_ids)))
    return {uid: name for uid, name in db.execute(stmt)}


def count_patients(db: Session, clinic_ids: Sequence[int]) -> int:
    stmt = in_clinics(select(func.count()).select_from(Patient), Patient.clinic_id, clinic_ids)
    return int(db.scalar(stmt) or 0)


# The bulk export's reads -----------------------------------------------------------
# Plain rows, not ORM objects: a row answers ``row.patient_id`` as the model does (the
# same names), without an object, its state and the identity map to build for each of
# hundreds of thousands. The export only reads them.


@cache
def _columns(model: Any) -> tuple[Any, ...]:
    return tuple(getattr(model, a.key) for a in sa_inspect(model).column_attrs)


def rows_after(
    db: Session, model: Any, clinic_ids: Sequence[int], after: int, limit: int
) -> list[Any]:
    """Up to ``limit`` rows of ``model`` (patients, or a table of a patient's) of the
    clinics whose id is above ``after``, in id order: a bulk export's pages. Each is
    one range scan of the table's primary key; asked for by a range of patients
    instead, PostgreSQL hashed or scanned every patient for each chunk (measured:
    ~140 ms a chunk of 1,000 of 64,000 patients, the export's main cost)."""
    if model is Patient:
        stmt = in_clinics(select(*_columns(Patient)), Patient.clinic_id, clinic_ids)
    else:
        stmt = select(*_columns(model)).join(Patient, Patient.id == model.patient_id)
        stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    return list(db.execute(stmt.where(model.id > after).order_by(model.id).limit(limit)))


def holds_any(db: Session, model: Any, clinic_ids: Sequence[int]) -> bool:
    """Whether the clinics hold any row of ``model`` (a table of a patient's): an
    export skips the chunks of a table that has none. Limited by the row's own clinic
    when it has one (as the FHIR server's reads of it are), else by its patient's."""
    stmt = select(model.id).join(Patient, Patient.id == model.patient_id)
    clinic_column = getattr(model, "clinic_id", Patient.clinic_id)
    return db.scalar(in_clinics(stmt, clinic_column, clinic_ids).limit(1)) is not None
