"""Clinic closures from the public-holiday calendar of the clinic's country and
state (the ``holidays`` package): the booking service, the batch plan and the demo
never book a chair on a day the clinic is shut.

Which holidays close the clinic is a practice decision: in the United States the
six most outpatient practices close on (New Year's Day, Memorial Day, Independence
Day, Labor Day, Thanksgiving, Christmas; "(observed)" days included); elsewhere
every public holiday of the country and subdivision, unless named.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays
from sqlalchemy.orm import Session

from ketaclinic.appointments import errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.models import ClinicClosure
from ketaclinic.audit import service as audit
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission

US_CLOSED_ON = frozenset(
    {
        "New Year's Day",
        "Memorial Day",
        "Independence Day",
        "Labor Day",
        "Thanksgiving Day",
        "Christmas Day",
    }
)


def holiday_closures(
    country: str,
    subdivision: str | None,
    start: date,
    end: date,
    closed_on: Iterable[str] | None = None,
) -> dict[date, str]:
    """The holidays between ``start`` and ``end`` (inclusive) the clinic closes on,
    by day with the holiday's name. ``closed_on`` names them (None: the US six in
    the US, every public holiday elsewhere)."""
    try:
        calendar = holidays.country_holidays(
            country, subdiv=subdivision or None, years=range(start.year, end.year + 1)
        )
    except NotImplementedError as exc:  # the package's word for an unknown code
        field = "subdivision" if "subdivision" in str(exc).lower() else "country"
        raise errors.NoHolidayCalendar(f"no holiday calendar for {exc}", field=field) from exc
    wanted = (
        set(closed_on) if closed_on is not None else (US_CLOSED_ON if country == "US" else None)
    )
    found: dict[date, str] = {}
    for day, names in sorted(calendar.items()):
        for name in str(names).split("; "):
            if start <= day <= end and (
                wanted is None or name.removesuffix(" (observed)") in wanted
            ):
                found[day] = name
    return found


def region_of(
    clinic: Clinic, country: str | None = None, subdivision: str | None = None
) -> tuple[str, str | None]:
    """The country and state whose calendar closes the clinic: the clinic's own
    unless given. Another country than the clinic's does not keep the clinic's state
    (TX is no state of Germany)."""
    if not country:
        return clinic.country, subdivision or clinic.subdivision
    country = country.upper()
    if subdivision:
        return country, subdivision.upper()
    return country, clinic.subdivision if country == clinic.country else None


def fill_closures(
    db: Session,
    principal: Principal | None,
    clinic: Clinic,
    start: date,
    end: date,
    country: str | None = None,
    subdivision: str | None = None,
    closed_on: Iterable[str] | None = None,
) -> list[ClinicClosure]:
    """Add the clinic's holiday closures between ``start`` and ``end`` (a day already
    closed keeps its reason), from the clinic's stored country and state unless
    ``country``/``subdivision`` say otherwise. ``principal`` None is the system (the
    demo loader)."""
    if principal is not None:
        principal.require(Permission.SCHEDULE_MANAGE, clinic.id)
    country, subdivision = region_of(clinic, country, subdivision)
    found = holiday_closures(country, subdivision, start, end, closed_on)
    have = {
        c.day for c in repo.closures(db, clinic.id, start, date.fromordinal(end.toordinal() + 1))
    }
    rows = [
        ClinicClosure(clinic_id=clinic.id, day=day, reason=name)
        for day, name in found.items()
        if day not in have
    ]
    db.add_all(rows)
    db.flush()
    audit.record(
        db,
        principal,
        "schedule.holidays_filled",
        clinic_id=clinic.id,
        resource_type="closures",
        resource_id=f"{start}..{end}",
        detail={
            "country": country,
            "subdivision": subdivision or "",
            "added": [r.day.isoformat() for r in rows],
        },
        actor=None if principal is not None else "system",
    )
    return rows
