"""The day's roster and the year's holiday closures."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.appointments import errors as app_errors
from ketaclinic.appointments import holidays
from ketaclinic.appointments import roster as rosters
from ketaclinic.appointments.views.common import (
    _clinic,
    _day,
)
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.web import DbSession, Form, form_text, render

router = APIRouter(include_in_schema=False)


# ---- the roster ------------------------------------------------------------------------


def _roster_page(
    request: Request,
    db: Session,
    principal: Principal,
    clinic: Clinic,
    on: date,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = rosters.roster_of(db, principal, clinic, on)
    lines = {u: (a, b) for u, _n, _r, a, b in view.lines}
    added = request.query_params.get("added", "")
    return render(
        request,
        "appointments/roster.html",
        {
            "clinic": clinic,
            "on": on,
            "view": view,
            "lines": lines,
            "errors": errors or {},
            "hhmm": lambda minutes: f"{minutes // 60:02d}:{minutes % 60:02d}",
            "region": "-".join(filter(None, holidays.region_of(clinic))),
            "year": request.query_params.get("year", "") or on.year,
            "added": int(added) if added.isdigit() else None,
        },
        status_code,
    )


@router.get("/schedule/roster")
def roster(
    request: Request, principal: CurrentPrincipal, db: DbSession, date: str | None = None
) -> Response:
    clinic = _clinic(request, db, principal)
    return _roster_page(request, db, principal, clinic, _day(date, clinic))


def _minutes_of(value: str) -> int:
    hours, _sep, minutes = value.partition(":")
    return int(hours) * 60 + int(minutes)


@router.post("/schedule/roster")
def roster_set(
    request: Request,
    form: Form,
    principal: CurrentPrincipal,
    db: DbSession,
    date: str | None = None,
) -> Response:
    clinic = _clinic(request, db, principal)
    on = _day(date, clinic)
    lines, errors = [], {}
    for user_id, _name, _role in rosters.roster_of(db, principal, clinic, on).staff:
        if form_text(form, f"on_{user_id}") != "on":
            continue
        try:
            starts = _minutes_of(form_text(form, f"starts_{user_id}"))
            ends = _minutes_of(form_text(form, f"ends_{user_id}"))
            lines.append(rosters.RosterLine(user_id, starts, ends))
        except ValueError:
            errors[f"user_{user_id}"] = "give the times as HH:MM"
    try:
        if errors:
            raise app_errors.RosterInvalid(fields=errors)
        rosters.set_roster(db, principal, clinic.id, on, lines)
    except KetaClinicError as exc:
        if exc.status_code != 422:
            raise
        return _roster_page(request, db, principal, clinic, on, exc.fields, 422)
    return RedirectResponse(f"/schedule?date={on.isoformat()}", status_code=303)


@router.post("/schedule/roster/holidays")
def roster_holidays(
    request: Request,
    form: Form,
    principal: CurrentPrincipal,
    db: DbSession,
    date: str | None = None,
) -> Response:
    """Close the clinic on a year's public holidays of its own country and state."""
    clinic = _clinic(request, db, principal)
    on = _day(date, clinic)
    year = form_text(form, "year")
    try:
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            raise app_errors.HolidayYearOutOfRange()
        first = on.replace(year=int(year), month=1, day=1)
        rows = holidays.fill_closures(db, principal, clinic, first, first.replace(month=12, day=31))
    except KetaClinicError as exc:
        if exc.status_code != 422:
            raise
        return _roster_page(request, db, principal, clinic, on, exc.fields, 422)
    query = urlencode({"date": on.isoformat(), "year": year, "added": len(rows)})
    return RedirectResponse(f"/schedule/roster?{query}", status_code=303)
