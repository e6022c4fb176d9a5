"""Who is on site: a day's roster of nurses and prescribers (the default is
everyone for the opening hours), read and replaced by the front desk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketaclinic.appointments import errors as app_errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import StaffShift
from ketaclinic.appointments.service import SchedulePolicy, horizon
from ketaclinic.audit import service as audit
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.scheduling import model as m


@dataclass(frozen=True)
class RosterLine:
    user_id: int
    starts: int  # minutes from midnight
    ends: int


@dataclass(frozen=True)
class RosterView:
    day: date
    default: bool
    lines: list[tuple[int, str, str, int, int]]  # user id, name, role, starts, ends
    staff: list[tuple[int, str, str]]  # everyone who could be on it


def roster_of(db: Session, principal: Principal, clinic: Clinic, day: date) -> RosterView:
    """Who is on site on ``day``: the roster, or the default (everyone, opening hours)."""
    principal.require(Permission.PATIENT_READ, clinic.id)
    staff = repo.on_site_staff(db, clinic.id)
    rows = repo.roster(db, clinic.id, day, day + timedelta(days=1))
    names = {u.id: u.name for u, _r in staff}
    if rows:
        lines = [
            (r.user_id, names.get(r.user_id, f"user {r.user_id}"), r.role, r.starts, r.ends)
            for r in rows
        ]
        return RosterView(day, False, lines, [(u.id, u.name, r) for u, r in staff])
    opening = horizon(db, clinic, day, 1, SchedulePolicy()).model.hours_on(0)
    lines = (
        []
        if opening is None
        else [
            (u.id, u.name, r, opening.open * m.SLOT_MIN, opening.close * m.SLOT_MIN)
            for u, r in staff
        ]
    )
    return RosterView(day, True, lines, [(u.id, u.name, r) for u, r in staff])


def set_roster(
    db: Session, principal: Principal, clinic_id: int, day: date, lines: Sequence[RosterLine]
) -> list[StaffShift]:
    """Replace the day's roster. Only the clinic's nurses and prescribers can be on it;
    an empty roster puts the day back on the default (everyone, opening hours)."""
    principal.require(Permission.SCHEDULE_MANAGE, clinic_id)
    staff = {u.id: role for u, role in repo.on_site_staff(db, clinic_id)}
    errors = {}
    for line in lines:
        if line.user_id not in staff:
            errors[f"user_{line.user_id}"] = "not a nurse or prescriber of this clinic"
        elif not 0 <= line.starts < line.ends <= 24 * 60:
            errors[f"user_{line.user_id}"] = "the shift must start before it ends"
    if len({line.user_id for line in lines}) != len(lines):
        errors["shifts"] = "one shift per person a day"
    if errors:
        raise app_errors.RosterInvalid(fields=errors)
    for row in repo.roster(db, clinic_id, day, day + timedelta(days=1)):
        db.delete(row)
    db.flush()
    rows = [
        StaffShift(
            clinic_id=clinic_id,
            day=day,
            user_id=line.user_id,
            role=staff[line.user_id],
            starts=line.starts,
            ends=line.ends,
        )
        for line in lines
    ]
    db.add_all(rows)
    db.flush()
    audit.record(
        db,
        principal,
        "schedule.roster_set",
        clinic_id=clinic_id,
        resource_type="roster",
        resource_id=day.isoformat(),
        detail={"on_site": [line.user_id for line in lines]},
    )
    return rows
