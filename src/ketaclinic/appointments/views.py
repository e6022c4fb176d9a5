"""Staff pages for the calendar: the day view per chair (phases coloured, nurse
load per half hour, prescriber on site, escorts), the week view, the
book-a-series dialog from a plan, one appointment (reschedule with suggestions,
cancel, no-show, escort) and the waitlist."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.appointments import errors as app_errors
from ketaclinic.appointments import holidays, service
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import reschedule as moves
from ketaclinic.appointments import roster as rosters
from ketaclinic.appointments import series as windows
from ketaclinic.appointments.deps import policy_of
from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.appointments.schemas import AvailabilityIn
from ketaclinic.audit import service as audit
from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.time import today_in
from ketaclinic.kit.web import DbSession, Form, form_errors, form_text, render
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.scheduling.model import SLOT_MIN

router = APIRouter(include_in_schema=False)
WIDTH, ROW, LABEL = 960, 54, 110  # the day view's drawing, in px
BAND_MIN = 30


def _clinic(request: Request, db: Session, principal: Principal) -> Clinic:
    wanted = requested_clinic_id(request)
    return resolve_clinic(db, principal, Permission.PATIENT_READ, wanted)


def _day(value: str | None, clinic: Clinic) -> date:
    today = today_in(clinic.timezone)
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise app_errors.DateInvalid() from exc


@dataclass(frozen=True)
class Block:
    appointment: Appointment
    patient: Patient
    y: int
    x: tuple[float, float, float, float]  # start, set-up end, administration end, end


def _minute(at: datetime, zone: ZoneInfo) -> int:
    local = at.astimezone(zone)
    return local.hour * 60 + local.minute


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
    clinic = _clinic(request, db, principal)
    first = _day(start, clinic)
    first -= timedelta(days=first.weekday())
    zone = ZoneInfo(clinic.timezone)
    since = datetime.combine(first, datetime.min.time(), zone)
    rows = repo.between(db, [clinic.id], since, since + timedelta(days=7))
    days = [first + timedelta(days=d) for d in range(7)]
    by_day: dict[date, list[tuple[Appointment, Patient]]] = {d: [] for d in days}
    for a, p in rows:
        by_day.setdefault(a.starts_at.astimezone(zone).date(), []).append((a, p))
    chairs = repo.chairs(db, clinic.id)
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
            "clinic": clinic,
            "days": days,
            "by_day": by_day,
            "chairs": chairs,
            "prev": first - timedelta(days=7),
            "next": first + timedelta(days=7),
            "tz": clinic.timezone,
        },
    )


# ---- book a series from a plan --------------------------------------------------------


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _availability(values: Any) -> tuple[AvailabilityIn | None, dict[str, str]]:
    """The patient's days and hours from the dialog's fields (all days, any time if none)."""
    days = [int(d) for d in values.getlist("weekdays") if str(d).isdigit()]
    fields: dict[str, Any] = {"weekdays": days} if days else {}
    for name in ("from_time", "until_time"):
        if values.get(name):
            fields[name] = values.get(name)
    if not fields:
        return None, {}
    return forms.parse(AvailabilityIn, fields)


def _book_page(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: Id,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    values: Any = None,
) -> Response:
    view = plans.get(db, principal, patient, plan_id)
    proposals: list[service.Proposal] = []
    problem = ""
    given = values if values is not None else request.query_params
    when, wrong = _availability(given)
    errors = {**(errors or {}), **wrong}
    can_override = principal.can(Permission.PLAN_SIGN, patient.clinic_id)
    outside_window = can_override and given.get("outside_window") == "1"
    try:
        proposals = service.propose(
            db,
            principal,
            patient,
            plan_id,
            request.app.state.protocols,
            policy_of(request),
            availability=when,
            outside_window=outside_window,
        )
    except KetaClinicError as exc:
        if exc.status_code not in (409, 422):
            raise
        problem = exc.message
    booked = repo.of_plan(db, [patient.clinic_id], plan_id)
    chairs = {c.id: c.name for c in repo.chairs(db, patient.clinic_id)}
    clinic = db.get(Clinic, patient.clinic_id)
    return render(
        request,
        "appointments/book.html",
        {
            "patient": patient,
            "view": view,
            "proposals": proposals,
            "problem": problem,
            "booked": booked,
            "chairs": chairs,
            "tz": clinic.timezone if clinic else "UTC",
            "errors": errors,
            "when": when,
            "weekday_names": WEEKDAYS,
            "can_override": can_override,
            "outside_window": outside_window,
            "override_url": _override_url(patient.id, plan_id, given),
        },
        status_code,
    )


def _override_url(patient_id: int, plan_id: int, given: Any) -> str:
    """The same proposal with the windows' upper bounds lifted (a prescriber's override)."""
    keep = [(k, v) for k, v in given.multi_items() if k in ("weekdays", "from_time", "until_time")]
    query = urlencode([*keep, ("outside_window", "1")])
    return f"/patients/{patient_id}/plans/{plan_id}/book?{query}"


@router.get("/patients/{patient_id}/plans/{plan_id}/book")
def book_dialog(
    request: Request, patient_id: Id, plan_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    return _book_page(request, db, principal, patient, plan_id)


@router.post("/patients/{patient_id}/plans/{plan_id}/book")
def book(
    request: Request,
    form: Form,
    patient_id: Id,
    plan_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    when, wrong = _availability(form)
    try:
        option = int(form_text(form, "option") or "0")
        if wrong:
            raise app_errors.AvailabilityInvalid(fields=wrong)
        expect = form_text(form, "expect") or None
        rows = service.book(
            db,
            principal,
            patient,
            plan_id,
            option,
            request.app.state.protocols,
            policy_of(request),
            when,
            expect,
            rest=form_text(form, "rest") or None,
            override_reason=form_text(form, "override_reason") or None,
        )
    except ValueError:
        return _book_page(
            request, db, principal, patient, plan_id, {"option": "choose one"}, 422, form
        )
    except KetaClinicError as exc:
        if exc.status_code not in (409, 422):
            raise
        return _book_page(
            request, db, principal, patient, plan_id, form_errors(exc), exc.status_code, form
        )
    if not rows:
        return RedirectResponse("/schedule/waitlist", status_code=303)
    clinic = db.get(Clinic, patient.clinic_id)
    first = rows[0].starts_at.astimezone(ZoneInfo(clinic.timezone if clinic else "UTC")).date()
    return RedirectResponse(f"/schedule?date={first.isoformat()}", status_code=303)


@router.post("/patients/{patient_id}/plans/{plan_id}/waitlist")
def waitlist_add(
    request: Request,
    form: Form,
    patient_id: Id,
    plan_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    service.add_to_waitlist(db, principal, patient, plan_id, form_text(form, "note"))
    return RedirectResponse("/schedule/waitlist", status_code=303)


# ---- one appointment ------------------------------------------------------------------


def _appointment_page(
    request: Request,
    db: Session,
    principal: Principal,
    appointment_id: Id,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    row, patient = service.get(db, principal, appointment_id)
    suggestions: list[service.Visit] = []
    can_override = principal.can(Permission.PLAN_SIGN, patient.clinic_id)
    outside_window = can_override and request.query_params.get("outside_window") == "1"
    if row.status == "booked" and principal.can(Permission.PATIENT_WRITE, patient.clinic_id):
        _r, _p, suggestions = moves.reschedule_options(
            db,
            principal,
            appointment_id,
            policy_of(request),
            request.app.state.protocols,
            outside_window=outside_window,
        )
    clinic = db.get(Clinic, row.clinic_id)
    chair = db.get(Chair, row.chair_id)
    audit.on_patient(
        db, principal, "patient.read", patient, resource_type="appointment", resource_id=row.id
    )
    return render(
        request,
        "appointments/appointment.html",
        {
            "a": row,
            "patient": patient,
            "chair": chair,
            "events": repo.events(db, row.id),
            "suggestions": suggestions,
            "tz": clinic.timezone if clinic else "UTC",
            "can_write": principal.can(Permission.PATIENT_WRITE, patient.clinic_id),
            "can_override": can_override,
            "outside_window": outside_window,
            "override": windows.overrides_of(db, [row]).get(row.id),
            "errors": errors or {},
        },
        status_code,
    )


@router.get("/schedule/appointments/{appointment_id}")
def appointment(
    request: Request, appointment_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _appointment_page(request, db, principal, appointment_id)


@router.post("/schedule/appointments/{appointment_id}/{appt_action}")
def appointment_action(
    request: Request,
    form: Form,
    appointment_id: Id,
    appt_action: str,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    try:
        if appt_action == "cancel":
            service.cancel(db, principal, appointment_id, form_text(form, "reason"))
        elif appt_action == "no-show":
            service.no_show(db, principal, appointment_id)
        elif appt_action == "escort":
            service.confirm_escort(db, principal, appointment_id, form_text(form, "escort"))
        elif appt_action == "reschedule":
            chair, _sep, when = form_text(form, "slot").partition("|")
            chair_id = in_id_range(chair)
            try:
                starts_at = datetime.fromisoformat(when)
            except ValueError:
                chair_id = None
            if chair_id is None or starts_at.tzinfo is None:
                raise app_errors.TimeNotOffered(field="slot")
            moves.reschedule(
                db,
                principal,
                appointment_id,
                starts_at,
                chair_id,
                policy_of(request),
                request.app.state.protocols,
                override_reason=form_text(form, "override_reason") or None,
            )
        else:
            raise app_errors.UnknownAction(f"no action {appt_action!r}")
    except KetaClinicError as exc:
        if exc.status_code not in (409, 422):
            raise
        db.rollback()
        return _appointment_page(
            request, db, principal, appointment_id, form_errors(exc), exc.status_code
        )
    return RedirectResponse(f"/schedule/appointments/{appointment_id}", status_code=303)


@router.get("/schedule/waitlist")
def waitlist(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    clinic = _clinic(request, db, principal)
    rows = repo.waitlist(db, [clinic.id])
    audit.record(
        db,
        principal,
        "schedule.waitlist_viewed",
        clinic_id=clinic.id,
        resource_type="waitlist",
        detail={"entries": len(rows)},
    )
    offers = {}
    for entry, _patient in rows:
        if entry.offer:
            offer = json.loads(entry.offer)
            at = datetime.fromisoformat(offer["starts_at"]).astimezone(ZoneInfo(clinic.timezone))
            chair = db.get(Chair, offer["chair_id"])
            offers[entry.id] = f"{at:%a %d %b %H:%M} · {chair.name if chair else ''}"
    return render(
        request,
        "appointments/waitlist.html",
        {"clinic": clinic, "rows": rows, "offers": offers, "tz": clinic.timezone},
    )


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
