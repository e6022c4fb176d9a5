"""The clinic as the pure scheduler sees it: the policy, the horizon, the calendar
of booked visits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import (
    Appointment,
    Chair,
    StaffShift,
)
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.roles import Role
from ketaclinic.scheduling import model as m
from ketaclinic.scheduling.calendar import Calendar, Grid

# Practice defaults until a clinic sets its own hours: weekdays 08:00-17:00 with an
# hour of overtime, Saturday mornings, Sunday closed (SCHEDULING.md; a setting).
DEFAULT_HOURS: dict[int, tuple[int, int, int] | None] = {
    **{d: (8 * 60, 17 * 60, 18 * 60) for d in range(5)},
    5: (9 * 60, 13 * 60, 14 * 60),
    6: None,
}
BOOKABLE = {"signed", "active"}


@dataclass(frozen=True)
class SchedulePolicy:
    nurse_capacity_k: int = 3
    weights: m.Weights = field(default_factory=m.Weights)
    online_time_limit_s: float = 0.5
    batch_time_limit_s: float = 20.0
    horizon_days: int = 42

    @classmethod
    def from_settings(cls, settings: Any) -> SchedulePolicy:
        weights = m.Weights(**settings.schedule_weights)
        return cls(nurse_capacity_k=settings.nurse_capacity_k, weights=weights)


@dataclass
class Horizon:
    """The days [start, start + days) at the clinic, and the pure model of them."""

    clinic: Clinic
    start: date
    days: int
    model: m.Clinic
    chairs: dict[str, Chair]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.timezone)

    def day_of(self, at: datetime) -> int:
        return (at.astimezone(self.zone).date() - self.start).days

    def slot_of(self, at: datetime) -> int:
        local = at.astimezone(self.zone)
        return (local.hour * 60 + local.minute) // m.SLOT_MIN

    def at(self, day: int, slot: int) -> datetime:
        local = datetime.combine(
            self.start + timedelta(days=day), datetime.min.time(), self.zone
        ) + timedelta(minutes=slot * m.SLOT_MIN)
        return local.astimezone(UTC)


def horizon(db: Session, clinic: Clinic, start: date, days: int, policy: SchedulePolicy) -> Horizon:
    """The clinic's chairs, hours, closures and staff on site as the pure model.
    A day with a roster has exactly the nurses and prescribers rostered; a day
    without one has every nurse and prescriber of the clinic for the opening hours."""
    chairs = {str(c.id): c for c in repo.chairs(db, clinic.id)}
    set_hours = {h.weekday: (h.opens, h.regular_close, h.closes) for h in repo.hours(db, clinic.id)}
    hours: list[m.Hours | None] = []
    for weekday in range(7):
        spec = (
            set_hours.get(weekday, DEFAULT_HOURS[weekday]) if set_hours else DEFAULT_HOURS[weekday]
        )
        hours.append(None if spec is None else m.Hours(*(v // m.SLOT_MIN for v in spec)))
    closed = {
        (c.day - start).days for c in repo.closures(db, clinic.id, start, start + timedelta(days))
    }
    nurses = repo.members(db, clinic.id, Role.NURSE)
    prescribers = repo.members(db, clinic.id, Role.PRESCRIBER)
    rostered: dict[int, list[StaffShift]] = {}
    for shift in repo.roster(db, clinic.id, start, start + timedelta(days)):
        rostered.setdefault((shift.day - start).days, []).append(shift)
    shifts: list[m.Shift] = []
    prescriber: list[m.Shift] = []
    first_weekday = start.weekday()
    for day in range(days):
        opening = hours[(first_weekday + day) % 7]
        if opening is None or day in closed:
            continue
        if day in rostered:
            for row in rostered[day]:
                span = m.Span(row.starts // m.SLOT_MIN, -(-row.ends // m.SLOT_MIN))
                (shifts if row.role == Role.NURSE.value else prescriber).append(m.Shift(day, span))
            continue
        span = m.Span(opening.open, opening.close)
        shifts += [m.Shift(day, span)] * nurses
        if prescribers:
            prescriber.append(m.Shift(day, span))
    model = m.Clinic(
        chairs=tuple(m.Chair(cid, chair.long_infusion) for cid, chair in chairs.items()),
        days=days,
        first_weekday=first_weekday,
        hours=tuple(hours),
        nurse_shifts=tuple(shifts),
        prescriber_hours=tuple(prescriber),
        closures=frozenset(closed),
        nurse_capacity_k=policy.nurse_capacity_k,
    )
    return Horizon(clinic, start, days, model, chairs)


def _minutes(start: datetime, end: datetime) -> int:
    return max(1, int((end - start).total_seconds() // 60))


def spec_of(appointment: Appointment) -> m.SessionSpec:
    """A booked visit's phases as it was booked (the protocol may have changed since)."""
    minutes = _minutes
    return m.SessionSpec(
        setup_min=minutes(appointment.starts_at, appointment.setup_ends_at),
        administration_min=minutes(appointment.setup_ends_at, appointment.administration_ends_at),
        observation_min=minutes(appointment.administration_ends_at, appointment.ends_at),
        long_chair=appointment.needs_long_chair,
        prescriber=appointment.needs_prescriber,
    )


def locked(
    db: Session, h: Horizon, except_id: int | None = None
) -> list[tuple[m.SeriesRequest, m.Assignment]]:
    """Every visit booked in the horizon as a one-session series, placed where it is."""
    out = []
    for row in repo.booked(db, [h.clinic.id], h.at(0, 0), h.at(h.days, 0)):
        if row.id == except_id or str(row.chair_id) not in h.chairs:
            continue
        series = m.SeriesRequest(f"a{row.id}", str(row.patient_id), "", (spec_of(row),), 0, 0)
        day, slot = h.day_of(row.starts_at), h.slot_of(row.starts_at)
        out.append((series, m.Assignment(series.id, 0, day, slot, str(row.chair_id))))
    return out


def calendar_of(db: Session, h: Horizon, except_id: int | None = None) -> Calendar:
    """Everything booked in the horizon, as the pure calendar (never moved)."""
    calendar = Calendar(Grid.of(h.model))
    for series, placed in locked(db, h, except_id):
        calendar.book(placed, series.sessions[0])
    return calendar
