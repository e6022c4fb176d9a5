"""One appointment (cancel, no-show, escort, move) and the waitlist."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.appointments import errors as app_errors
from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import reschedule as moves
from ketaclinic.appointments import series as windows
from ketaclinic.appointments import service
from ketaclinic.appointments.deps import policy_of
from ketaclinic.appointments.models import Chair
from ketaclinic.appointments.views.common import (
    _clinic,
)
from ketaclinic.audit import service as audit
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.web import DbSession, Form, form_errors, render

router = APIRouter(include_in_schema=False)


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


def _on_appointment(
    request: Request,
    db: Session,
    principal: Principal,
    appointment_id: int,
    act: Callable[[], object],
) -> Response:
    """Run one of the appointment's actions; a refusal it can explain (409, 422) shows
    the appointment again with the message by its field."""
    try:
        act()
    except KetaClinicError as exc:
        if exc.status_code not in (409, 422):
            raise
        db.rollback()
        return _appointment_page(
            request, db, principal, appointment_id, form_errors(exc), exc.status_code
        )
    return RedirectResponse(f"/schedule/appointments/{appointment_id}", status_code=303)


@router.post("/schedule/appointments/{appointment_id}/cancel")
def appointment_cancel(
    request: Request, form: Form, appointment_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    reason = forms.text(form, "reason")
    return _on_appointment(
        request,
        db,
        principal,
        appointment_id,
        lambda: service.cancel(db, principal, appointment_id, reason),
    )


@router.post("/schedule/appointments/{appointment_id}/no-show")
def appointment_no_show(
    request: Request, appointment_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _on_appointment(
        request,
        db,
        principal,
        appointment_id,
        lambda: service.no_show(db, principal, appointment_id),
    )


@router.post("/schedule/appointments/{appointment_id}/escort")
def appointment_escort(
    request: Request, form: Form, appointment_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    escort = forms.text(form, "escort")
    return _on_appointment(
        request,
        db,
        principal,
        appointment_id,
        lambda: service.confirm_escort(db, principal, appointment_id, escort),
    )


@router.post("/schedule/appointments/{appointment_id}/reschedule")
def appointment_reschedule(
    request: Request, form: Form, appointment_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """Move to one of the offered slots (``chair|start``)."""

    def act() -> object:
        chair, _sep, when = forms.text(form, "slot").partition("|")
        chair_id = in_id_range(chair)
        try:
            starts_at = datetime.fromisoformat(when)
        except ValueError:
            chair_id = None
        if chair_id is None or starts_at.tzinfo is None:
            raise app_errors.TimeNotOffered(field="slot")
        return moves.reschedule(
            db,
            principal,
            appointment_id,
            starts_at,
            chair_id,
            policy_of(request),
            request.app.state.protocols,
            override_reason=forms.text(form, "override_reason") or None,
        )

    return _on_appointment(request, db, principal, appointment_id, act)


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
