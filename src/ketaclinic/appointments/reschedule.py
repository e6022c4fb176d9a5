"""Moving one visit: other times nearby, inside the visit's window after the
session before it and keeping the next one inside its own; outside them only with
a prescriber's recorded reason (``series.guard``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.appointments import errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import series as windows
from ketaclinic.appointments.models import Appointment
from ketaclinic.appointments.service import (
    SchedulePolicy,
    Visit,
    _event,
    _flush_or_taken,
    _visits,
    _writable,
    calendar_of,
    horizon,
    spec_of,
)
from ketaclinic.audit import service as audit
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import as_utc, today_in
from ketaclinic.notifications import service as notifications
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.scheduling import model as m


def _protocol_of(
    db: Session, row: Appointment, protocols: dict[str, Protocol] | None
) -> Protocol | None:
    plan = db.get(TreatmentPlan, row.plan_id) if row.plan_id is not None else None
    return None if plan is None or protocols is None else protocols.get(plan.protocol_id)


def reschedule_options(
    db: Session,
    principal: Principal,
    appointment_id: int,
    policy: SchedulePolicy,
    protocols: dict[str, Protocol] | None = None,
    outside_window: bool = False,
) -> tuple[Appointment, Patient, list[Visit]]:
    """Other times for one visit, nearest its present day first, within a week either
    side (and not in the past); nothing else moves. A visit of a plan stays inside its
    window after the session before it and keeps the next one inside its own, unless
    ``outside_window`` (for a prescriber's override)."""
    row, patient = _writable(db, principal, appointment_id)
    clinic = db.get(Clinic, row.clinic_id)
    assert clinic is not None
    zone = ZoneInfo(clinic.timezone)
    today = today_in(clinic.timezone)
    start = max(today, row.starts_at.astimezone(zone).date() - timedelta(7))
    h = horizon(db, clinic, start, 15, policy)
    window = (
        None
        if outside_window
        else windows.neighbour_window(db, row, _protocol_of(db, row, protocols), zone)
    )
    spec = spec_of(row)
    calendar = calendar_of(db, h, except_id=row.id)
    current = h.day_of(row.starts_at)
    request = m.SeriesRequest(
        id=f"r{row.id}",
        patient_id=str(row.patient_id),
        protocol="",
        sessions=(spec,),
        requested_day=0,
        earliest_day=0,
    )
    found: list[Visit] = []
    for day in sorted(range(h.days), key=lambda d: (abs(d - current), d)):
        if window is not None and not window.contains(h.start + timedelta(days=day)):
            continue
        free = calendar.feasible(request, spec, day)
        for chair_index, slot in zip(*free.nonzero(), strict=True):
            if (day, int(slot)) == (current, h.slot_of(row.starts_at)):
                continue
            chair_id = h.model.chairs[int(chair_index)].id
            placed = m.Assignment(request.id, 0, day, int(slot), chair_id)
            found += _visits(h, request, [row.session_number], [placed])
            break  # the first free chair at the earliest time that day
        if len(found) >= 5:
            break
    return row, patient, found


def reschedule(
    db: Session,
    principal: Principal,
    appointment_id: int,
    starts_at: datetime,
    chair_id: int,
    policy: SchedulePolicy,
    protocols: dict[str, Protocol] | None = None,
    override_reason: str | None = None,
) -> Appointment:
    """Move one visit to a suggested time; outside the windows of the visit or its
    neighbours only with a prescriber's ``override_reason``, recorded."""
    if starts_at.tzinfo is None:
        raise errors.StartsAtWithoutOffset()
    # Any free time is a candidate; the guard below keeps the windows (or records a
    # prescriber's reason), so a time outside them is refused with that message.
    row, patient, options = reschedule_options(
        db, principal, appointment_id, policy, protocols, outside_window=True
    )
    chosen = next((v for v in options if v.starts_at == starts_at and v.chair.id == chair_id), None)
    if chosen is None:
        # Lost a race (another visit now holds that chair then) or never offered.
        length = as_utc(row.ends_at) - as_utc(row.starts_at)
        held = repo.booked(db, [row.clinic_id], starts_at, starts_at + length)
        if any(a.chair_id == chair_id and a.id != row.id for a in held):
            raise errors.ChairTakenMeanwhile(
                "That chair was just taken at that time; choose another time.",
                {"starts_at": "taken meanwhile"},
            )
        raise errors.TimeNotOffered()
    before = row.starts_at
    row.starts_at, row.setup_ends_at = chosen.starts_at, chosen.setup_ends_at
    row.administration_ends_at, row.ends_at = chosen.administration_ends_at, chosen.ends_at
    row.chair_id = chosen.chair.id
    _flush_or_taken(db)
    _event(
        db,
        principal,
        row,
        "rescheduled",
        before=before.isoformat(),
        after=chosen.starts_at.isoformat(),
        chair=chosen.chair.name,
    )
    db.flush()
    if as_utc(chosen.starts_at) != as_utc(before):  # a new time, not only a new chair
        notifications.cancel_pending(
            db, clinic_id=row.clinic_id, appointment_id=row.id, reason="visit moved"
        )
        notifications.queue(
            db,
            clinic_id=row.clinic_id,
            patient_id=row.patient_id,
            template="booking_changed",
            event_key=f"booking_changed:{row.id}:{as_utc(chosen.starts_at):%Y%m%dT%H%MZ}",
            link_path="/portal",
            appointment_id=row.id,
            visit_starts_at=chosen.starts_at,
        )
    protocol = _protocol_of(db, row, protocols)
    if protocol is not None and row.plan_id is not None:
        clinic = db.get(Clinic, row.clinic_id)
        assert clinic is not None
        windows.guard(
            db,
            principal,
            patient,
            row.plan_id,
            protocol,
            override_reason,
            ZoneInfo(clinic.timezone),
        )
    audit.on_patient(
        db,
        principal,
        "patient.appointment_rescheduled",
        patient,
        resource_type="appointment",
        resource_id=row.id,
    )
    return row
