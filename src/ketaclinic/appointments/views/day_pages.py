"""The day view (SVG) and the week."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import series as windows
from ketaclinic.appointments import service
from ketaclinic.appointments import week as weeks
from ketaclinic.appointments.deps import policy_of
from ketaclinic.appointments.models import Chair
from ketaclinic.appointments.views.common import (
    BAND_MIN,
    LABEL,
    ROW,
    WIDTH,
    Block,
    _clinic,
    _day,
    _minute,
)
from ketaclinic.audit import service as audit
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import today_in
from ketaclinic.kit.web import DbSession, render
from ketaclinic.scheduling.model import SLOT_MIN

router = APIRouter(include_in_schema=False)


def day_view(
    db: Session, principal: Principal, clinic: Clinic, on: date, policy: service.SchedulePolicy
) -> dict[str, Any]:
    zone = ZoneInfo(clinic.timezone)
    h = service.horizon(db, clinic, on, 1, policy)
    hours = h.model.hours_on(0)
    opens, closes = (hours.open * SLOT_MIN, hours.close * SLOT_MIN) if hours else (8 * 60, 18 * 60)
    start = datetime.combine(on, datetime.min.time(), zone)
    rows = [(a, p) for a, p in repo.between(db, [clinic.id], start, start + timedelta(days=1))]
    chairs: list[Chair] = repo.chairs(db, clinic.id)
    index = {c.id: i for i, c in enumerate(chairs)}
    scale = WIDTH / max(1, closes - opens)

    def x(at: datetime) -> float:
        return LABEL + (_minute(at, zone) - opens) * scale

    blocks = [
        Block(
            a,
            p,
            30 + index.get(a.chair_id, 0) * ROW,
            (x(a.starts_at), x(a.setup_ends_at), x(a.administration_ends_at), x(a.ends_at)),
        )
        for a, p in rows
        if a.status == "booked" and a.chair_id in index
    ]
    nurses = sum(1 for s in h.model.nurse_shifts if s.day == 0)
    k = h.model.nurse_capacity_k
    bands = []
    for band in range(opens, closes, BAND_MIN):
        peak = 0
        for minute in range(band, band + BAND_MIN, SLOT_MIN):
            used = 0
            for b in blocks:
                a = b.appointment
                if _minute(a.starts_at, zone) <= minute < _minute(a.setup_ends_at, zone):
                    used += k
                elif _minute(a.setup_ends_at, zone) <= minute < _minute(a.ends_at, zone):
                    used += 1
            peak = max(peak, used)
        bands.append(
            (
                f"{band // 60:02d}:{band % 60:02d}",
                peak,
                nurses * k,
                LABEL + (band - opens) * scale,
                BAND_MIN * scale,
            )
        )
    audit.record(
        db,
        principal,
        "schedule.day_viewed",
        clinic_id=clinic.id,
        resource_type="schedule",
        resource_id=on.isoformat(),
        detail={"appointments": len(rows)},
    )
    return {
        "clinic": clinic,
        "on": on,
        "chairs": chairs,
        "blocks": blocks,
        "rows": rows,
        "bands": bands,
        "nurses": nurses,
        "k": k,
        "opens": opens,
        "closes": closes,
        "prescriber": bool(h.model.prescriber_hours),
        "width": LABEL + WIDTH + 10,
        "height": 30 + ROW * max(1, len(chairs)) + 50,
        "hour_ticks": [
            (f"{t // 60:02d}:00", LABEL + (t - opens) * scale)
            for t in range(opens - opens % 60 + 60, closes, 60)
        ],
        "row_height": ROW,
        "label_width": LABEL,
        "tz": clinic.timezone,
        "overrides": windows.overrides_of(db, [a for a, _p in rows]),
        "prev": on - timedelta(days=1),
        "next": on + timedelta(days=1),
    }


@router.get("/schedule")
def schedule_day(
    request: Request, principal: CurrentPrincipal, db: DbSession, date: str | None = None
) -> Response:
    clinic = _clinic(request, db, principal)
    on = _day(date, clinic)
    return render(
        request, "appointments/day.html", day_view(db, principal, clinic, on, policy_of(request))
    )


@router.get("/schedule/week")
def schedule_week(
    request: Request, principal: CurrentPrincipal, db: DbSession, start: str | None = None
) -> Response:
    """The week as a grid of days by chairs, with each day's load."""
    clinic = _clinic(request, db, principal)
    first = _day(start, clinic)
    first -= timedelta(days=first.weekday())
    grid = weeks.of(db, clinic, first, policy_of(request))
    audit.record(
        db,
        principal,
        "schedule.week_viewed",
        clinic_id=clinic.id,
        resource_type="schedule",
        resource_id=first.isoformat(),
    )
    return render(
        request,
        "appointments/week.html",
        {
            "week": grid,
            "clinic": clinic,
            "prev": first - timedelta(days=7),
            "next": first + timedelta(days=7),
            "today": today_in(clinic.timezone),
            "tz": clinic.timezone,
        },
    )
