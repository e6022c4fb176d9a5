"""The demo's calendar: chairs (two equipped for the 4-hour pain infusions at
Lakeside), opening hours, holiday closures and a staff training day, and the next
four weeks booked by the optimizer for every signed or active demo plan."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.appointments import batch, roster
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import service as calendar
from ketaclinic.appointments.holidays import fill_closures
from ketaclinic.appointments.models import Appointment, Chair, ClinicClosure, ClinicHours
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.time import today_in, utcnow
from ketaclinic.plans.models import TreatmentPlan

# The demo's continued series: twice-weekly IV, session 1 given today.
CONTINUED = "depression_iv_twice_weekly"
CHAIRS = {"lakeside": (6, 2), "mesa": (4, 1)}  # chairs, of which equipped for long infusions


def load_calendar(
    db: Session,
    slug: str,
    staff: dict[Role, Principal],
    seconds: float = 5,
    holidays: tuple[date, date] | None = None,
) -> list[Appointment]:
    """``holidays``: the days (first, last) whose public holidays of the clinic's
    stored country and state close it, filled as any clinic's are
    (``appointments.holidays``)."""
    desk = staff[Role.FRONT_DESK]
    clinic = db.get(Clinic, next(iter(desk.roles)))
    assert clinic is not None
    total, long = CHAIRS[slug]
    db.add_all(
        Chair(clinic_id=clinic.id, name=f"Chair {n}", long_infusion=n > total - long)
        for n in range(1, total + 1)
    )
    for weekday in range(5):
        db.add(
            ClinicHours(
                clinic_id=clinic.id,
                weekday=weekday,
                opens=8 * 60,
                regular_close=17 * 60,
                closes=18 * 60,
            )
        )
    db.add(
        ClinicHours(
            clinic_id=clinic.id, weekday=5, opens=9 * 60, regular_close=13 * 60, closes=14 * 60
        )
    )
    today = today_in(clinic.timezone)
    if holidays is not None:
        fill_closures(db, None, clinic, *holidays)
    closed = {c.day: c.reason for c in repo.closures(db, clinic.id, today, today + timedelta(120))}
    staff_day = today + timedelta(days=(2 - today.weekday()) % 7 + 14)  # a Wednesday
    while staff_day in closed or staff_day + timedelta(days=1) in closed:
        staff_day += timedelta(days=7)
    db.add(ClinicClosure(clinic_id=clinic.id, day=staff_day, reason="Staff training day"))
    db.flush()
    # The day after, the prescriber is on site only in the morning: no afternoon doses.
    nurse, prescriber = staff[Role.NURSE], staff[Role.PRESCRIBER]
    roster.set_roster(
        db,
        staff[Role.ADMIN],
        clinic.id,
        staff_day + timedelta(days=1),
        [
            roster.RosterLine(nurse.user_id, 8 * 60, 17 * 60),
            roster.RosterLine(prescriber.user_id, 8 * 60, 12 * 60),
        ],
    )
    policy = calendar.SchedulePolicy(batch_time_limit_s=seconds)
    result = batch.plan_batch(db, clinic, today, 4, load_protocols(None), policy, desk)
    for appointment in result.appointments[::3]:
        if appointment.session_number == 1:
            appointment.escort_confirmed = True
    return result.appointments


def continue_series(db: Session, staff: dict[Role, Principal], timezone: str) -> list[Appointment]:
    """A series continued after its first session: the first of today's first IV
    sessions that was given has its next sessions booked by the booking service,
    each inside its window counted from the session before it as given or booked
    (whatever does not fit goes to the waitlist, named, never dropped)."""
    desk = staff[Role.FRONT_DESK]
    clinic_id = next(iter(desk.roles))
    zone = ZoneInfo(timezone)
    today = today_in(timezone)
    start = datetime.combine(today, datetime.min.time(), zone)
    protocols = load_protocols(None)
    for row, patient in repo.between(db, [clinic_id], start, utcnow()):
        plan = db.get(TreatmentPlan, row.plan_id) if row.plan_id is not None else None
        if row.session_number != 1 or row.status not in ("booked", "completed") or plan is None:
            continue
        if plan.protocol_id != CONTINUED or row.ends_at > utcnow():
            continue
        return calendar.book(
            db, desk, patient, plan.id, 0, protocols, calendar.SchedulePolicy(), rest="waitlist"
        )
    return []
