"""The demo's calendar: chairs (two equipped for the 4-hour pain infusions at
Lakeside), opening hours, holiday closures and a staff training day, and the next
four weeks booked by the optimizer for every signed or active demo plan."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketaclinic.appointments import batch, roster
from ketaclinic.appointments import service as calendar
from ketaclinic.appointments.models import Appointment, Chair, ClinicClosure, ClinicHours
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Role
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.time import today_in

CHAIRS = {"lakeside": (6, 2), "mesa": (4, 1)}  # chairs, of which equipped for long infusions


def load_calendar(
    db: Session,
    slug: str,
    staff: dict[Role, Principal],
    seconds: float = 5,
    holidays: dict[date, str] | None = None,
) -> list[Appointment]:
    desk = staff[Role.FRONT_DESK]
    clinic = db.get(Clinic, next(iter(desk.roles)))
    assert clinic is not None
    total, long = CHAIRS[slug]
    db.add_all(
        Chair(clinic_id=clinic.id, name=f"Chair {n}", long_infusion=n > total - long)
        for n in range(1, total + 1)
    )
    for weekday in range(5):
        db.add(ClinicHours(clinic_id=clinic.id, weekday=weekday, opens=8 * 60,
                           regular_close=17 * 60, closes=18 * 60))  # fmt: skip
    db.add(ClinicHours(clinic_id=clinic.id, weekday=5, opens=9 * 60, regular_close=13 * 60,
                       closes=14 * 60))  # fmt: skip
    today = today_in(clinic.timezone)
    closed = dict(holidays or {})
    staff_day = today + timedelta(days=(2 - today.weekday()) % 7 + 14)  # a Wednesday
    while staff_day in closed or staff_day + timedelta(days=1) in closed:
        staff_day += timedelta(days=7)
    closed[staff_day] = "Staff training day"
    db.add_all(ClinicClosure(clinic_id=clinic.id, day=day, reason=reason)
               for day, reason in sorted(closed.items()))  # fmt: skip
    db.flush()
    # The day after, the prescriber is on site only in the morning: no afternoon doses.
    nurse, prescriber = staff[Role.NURSE], staff[Role.PRESCRIBER]
    roster.set_roster(db, staff[Role.ADMIN], clinic.id, staff_day + timedelta(days=1), [
        roster.RosterLine(nurse.user_id, 8 * 60, 17 * 60),
        roster.RosterLine(prescriber.user_id, 8 * 60, 12 * 60)])  # fmt: skip
    policy = calendar.SchedulePolicy(batch_time_limit_s=seconds)
    result = batch.plan_batch(db, clinic, today, 4, load_protocols(None), policy, desk)
    for appointment in result.appointments[::3]:
        if appointment.session_number == 1:
            appointment.escort_confirmed = True
    return result.appointments
