"""Queries over the calendar, each limited to the caller's clinics (``in_clinics``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import (
    Appointment,
    AppointmentEvent,
    Chair,
    ClinicClosure,
    ClinicHours,
    StaffShift,
    WaitlistEntry,
)
from ketaclinic.auth.models import Membership, User
from ketaclinic.identity.roles import Role
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import TreatmentPlan


def chairs(db: Session, clinic_id: int) -> list[Chair]:
    stmt = select(Chair).where(Chair.clinic_id == clinic_id, Chair.active.is_(True))
    return list(db.scalars(stmt.order_by(Chair.name)))


def hours(db: Session, clinic_id: int) -> list[ClinicHours]:
    return list(db.scalars(select(ClinicHours).where(ClinicHours.clinic_id == clinic_id)))


def closures(db: Session, clinic_id: int, start: date, end: date) -> list[ClinicClosure]:
    stmt = select(ClinicClosure).where(
        ClinicClosure.clinic_id == clinic_id, ClinicClosure.day >= start, ClinicClosure.day < end
    )
    return list(db.scalars(stmt))


def roster(db: Session, clinic_id: int, start: date, end: date) -> list[StaffShift]:
    stmt = select(StaffShift).where(
        StaffShift.clinic_id == clinic_id, StaffShift.day >= start, StaffShift.day < end
    )
    return list(db.scalars(stmt.order_by(StaffShift.day, StaffShift.starts)))


def on_site_staff(db: Session, clinic_id: int) -> list[tuple[User, str]]:
    """The clinic's active nurses and prescribers, with their role."""
    stmt = (
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.clinic_id == clinic_id,
            Membership.role.in_([Role.NURSE.value, Role.PRESCRIBER.value]),
            User.is_active,
        )
    )
    return [(u, r) for u, r in db.execute(stmt.order_by(Membership.role, User.name))]


def members(db: Session, clinic_id: int, role: Role) -> int:
    stmt = (
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.clinic_id == clinic_id, Membership.role == role.value, User.is_active)
    )
    return db.scalar(stmt) or 0


def first_member(db: Session, clinic_id: int, role: Role) -> int | None:
    stmt = (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.clinic_id == clinic_id, Membership.role == role.value, User.is_active)
        .order_by(Membership.user_id)
    )
    return db.scalar(stmt.limit(1))


def booked(
    db: Session, clinic_ids: Sequence[int], since: datetime, until: datetime
) -> list[Appointment]:
    stmt = in_clinics(select(Appointment), Appointment.clinic_id, clinic_ids).where(
        Appointment.status == "booked", Appointment.starts_at < until, Appointment.ends_at > since
    )
    return list(db.scalars(stmt.order_by(Appointment.starts_at)))


def between(
    db: Session, clinic_ids: Sequence[int], since: datetime, until: datetime
) -> list[tuple[Appointment, Patient]]:
    """Every appointment (any status) starting in [since, until), with its patient."""
    stmt = in_clinics(
        select(Appointment, Patient).join(Patient, Patient.id == Appointment.patient_id),
        Patient.clinic_id,
        clinic_ids,
    ).where(Appointment.starts_at >= since, Appointment.starts_at < until)
    return [(a, p) for a, p in db.execute(stmt.order_by(Appointment.starts_at))]


def of_plan(db: Session, clinic_ids: Sequence[int], plan_id: int) -> list[Appointment]:
    """The plan's booked and completed visits (cancelled and missed ones may be rebooked)."""
    stmt = in_clinics(select(Appointment), Appointment.clinic_id, clinic_ids).where(
        Appointment.plan_id == plan_id, Appointment.status.in_(["booked", "completed"])
    )
    return list(db.scalars(stmt.order_by(Appointment.session_number)))


def of_lineage(db: Session, clinic_ids: Sequence[int], lineage_id: str) -> list[Appointment]:
    """The booked and completed visits of every version of one plan (a revision keeps
    the session numbers: what was booked under an earlier version stays booked)."""
    versions = select(TreatmentPlan.id).where(TreatmentPlan.lineage_id == lineage_id)
    stmt = in_clinics(select(Appointment), Appointment.clinic_id, clinic_ids).where(
        Appointment.plan_id.in_(versions), Appointment.status.in_(["booked", "completed"])
    )
    return list(db.scalars(stmt.order_by(Appointment.session_number, Appointment.starts_at)))


def of_patient(db: Session, clinic_ids: Sequence[int], patient_id: int) -> list[Appointment]:
    stmt = in_clinics(select(Appointment), Appointment.clinic_id, clinic_ids).where(
        Appointment.patient_id == patient_id
    )
    return list(db.scalars(stmt.order_by(Appointment.starts_at)))


def appointment(
    db: Session, clinic_ids: Sequence[int], appointment_id: int
) -> tuple[Appointment, Patient] | None:
    stmt = in_clinics(
        select(Appointment, Patient).join(Patient, Patient.id == Appointment.patient_id),
        Patient.clinic_id,
        clinic_ids,
    ).where(Appointment.id == appointment_id)
    row = db.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def events(db: Session, appointment_id: int) -> list[AppointmentEvent]:
    stmt = select(AppointmentEvent).where(AppointmentEvent.appointment_id == appointment_id)
    return list(db.scalars(stmt.order_by(AppointmentEvent.id)))


def overrides(db: Session, appointment_ids: Sequence[int]) -> list[AppointmentEvent]:
    """The window overrides recorded on these appointments, oldest first."""
    if not appointment_ids:
        return []
    stmt = select(AppointmentEvent).where(
        AppointmentEvent.appointment_id.in_(appointment_ids),
        AppointmentEvent.kind == "window_override",
    )
    return list(db.scalars(stmt.order_by(AppointmentEvent.id)))


def newest_plans(db: Session, clinic_id: int) -> list[tuple[TreatmentPlan, Patient]]:
    """The newest version of every plan in the clinic, with its patient."""
    newest = (
        select(func.max(TreatmentPlan.id))
        .join(Patient, Patient.id == TreatmentPlan.patient_id)
        .where(Patient.clinic_id == clinic_id)
        .group_by(TreatmentPlan.lineage_id)
    )
    stmt = in_clinics(
        select(TreatmentPlan, Patient).join(Patient, Patient.id == TreatmentPlan.patient_id),
        Patient.clinic_id,
        [clinic_id],
    ).where(TreatmentPlan.id.in_(newest))
    return [(t, p) for t, p in db.execute(stmt.order_by(TreatmentPlan.id))]


def waitlist(
    db: Session, clinic_ids: Sequence[int], status: str | None = None
) -> list[tuple[WaitlistEntry, Patient]]:
    stmt = in_clinics(
        select(WaitlistEntry, Patient).join(Patient, Patient.id == WaitlistEntry.patient_id),
        Patient.clinic_id,
        clinic_ids,
    )
    if status is not None:
        stmt = stmt.where(WaitlistEntry.status == status)
    return [(w, p) for w, p in db.execute(stmt.order_by(WaitlistEntry.created_at))]
