"""Booking a plan's series from the plan, or putting it on the waitlist."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.appointments import errors as app_errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import service
from ketaclinic.appointments.deps import policy_of
from ketaclinic.appointments.schemas import AvailabilityIn
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_errors, form_text, render
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans

router = APIRouter(include_in_schema=False)


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
            "boosters": [
                int(r["number"])
                for r in plans.sessions_of(view.plan)
                if r.get("block") == "booster"
            ],
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
