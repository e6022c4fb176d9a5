"""The week view as a grid: the days across, the chairs down, each cell the visits
that start in that chair that day; above each day its load (visits booked, and the
share of its chair time they take). Readable on a tablet held upright (820 px)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import service
from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.models import Patient
from ketaclinic.scheduling.model import SLOT_MIN


@dataclass
class Day:
    day: date
    open_minutes: int  # 0: closed
    booked: int = 0
    other: int = 0  # cancelled, missed, completed
    used_minutes: int = 0
    cells: dict[int, list[tuple[Appointment, Patient]]] = field(default_factory=dict)

    @property
    def load_pct(self) -> int | None:
        """Booked chair time as a share of the day's chair time (None when closed)."""
        if not self.open_minutes or not self.cells:
            return None
        return round(100 * self.used_minutes / (self.open_minutes * len(self.cells)))

    @property
    def load_level(self) -> str:
        pct = self.load_pct
        if pct is None:
            return "closed" if not self.open_minutes else "empty"
        return "high" if pct >= 75 else ("medium" if pct >= 40 else "low")


@dataclass
class Week:
    clinic: Clinic
    first: date
    chairs: list[Chair]
    days: list[Day]
    unplaced: list[tuple[Appointment, Patient]]  # in a chair no longer active


def of(db: Session, clinic: Clinic, first: date, policy: service.SchedulePolicy) -> Week:
    """The seven days from ``first`` (a Monday)."""
    zone = ZoneInfo(clinic.timezone)
    horizon = service.horizon(db, clinic, first, 7, policy)
    chairs = repo.chairs(db, clinic.id)
    days = []
    for offset in range(7):
        hours = horizon.model.hours_on(offset)
        minutes = (hours.close - hours.open) * SLOT_MIN if hours else 0
        days.append(Day(first + timedelta(days=offset), minutes, cells={c.id: [] for c in chairs}))
    since = datetime.combine(first, datetime.min.time(), zone)
    unplaced = []
    for appointment, patient in repo.between(db, [clinic.id], since, since + timedelta(days=7)):
        index = (appointment.starts_at.astimezone(zone).date() - first).days
        if not 0 <= index < 7:
            continue
        day = days[index]
        if appointment.status == "booked":
            day.booked += 1
            day.used_minutes += int(
                (appointment.ends_at - appointment.starts_at).total_seconds() // 60
            )
        else:
            day.other += 1
        if appointment.chair_id in day.cells:
            day.cells[appointment.chair_id].append((appointment, patient))
        else:
            unplaced.append((appointment, patient))
    return Week(clinic=clinic, first=first, chairs=chairs, days=days, unplaced=unplaced)
