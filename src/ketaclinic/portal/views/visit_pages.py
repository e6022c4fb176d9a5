"""The patient's visits: the list, one visit with how to prepare, cancelling or asking
to move it, naming the escort; a request's page; their own scores if the clinic
shows them. Every query is the signed-in patient's own (portal.visits)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_text
from ketaclinic.measures.plot import trajectory_svg
from ketaclinic.portal import scores, visits
from ketaclinic.portal.deps import CurrentPatient, render_portal
from ketaclinic.portal.views.common import field_errors

router = APIRouter(include_in_schema=False)
# The plot is an image of its own: nothing in it may load or run anything.
PLOT_CSP = "default-src 'none'; style-src 'unsafe-inline'"

DONE = {
    "cancelled": "Your visit is cancelled. The clinic has been told.",
    "escort": "Thank you: your escort is confirmed.",
    "sent": "Your request is with the front desk. They will contact you.",
}


def _protocols(request: Request) -> dict[str, object]:
    return dict(getattr(request.app.state, "protocols", {}) or {})


@router.get("/portal")
def home(
    request: Request, db: DbSession, patient: CurrentPatient, done: str | None = None
) -> Response:
    upcoming = visits.upcoming(db, patient, _protocols(request))
    context = {"nav": "visits", "visits": upcoming, "done": DONE.get(done or "")}
    return render_portal(request, "portal/home.html", patient, context, db=db)


def _visit_page(
    request: Request,
    db: DbSession,
    patient: CurrentPatient,
    appointment_id: int,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    visit = visits.visit(db, patient, appointment_id, _protocols(request))
    context: dict[str, Any] = {
        "nav": "visits",
        "visit": visit,
        "done": DONE.get(done or ""),
        "errors": errors or {},
        "values": values or {},
    }
    return render_portal(
        request, "portal/visit.html", patient, context, db=db, status_code=status_code
    )


@router.get("/portal/visits/{appointment_id}")
def visit_page(
    request: Request,
    appointment_id: Id,
    db: DbSession,
    patient: CurrentPatient,
    done: str | None = None,
) -> Response:
    return _visit_page(request, db, patient, appointment_id, done=done)


@router.post("/portal/visits/{appointment_id}/cancel")
def cancel(
    request: Request, appointment_id: Id, form: Form, db: DbSession, patient: CurrentPatient
) -> Response:
    note = form_text(form, "note")
    try:
        made = visits.cancel(db, patient, appointment_id, note)
    except KetaClinicError as exc:
        errors = field_errors(exc)
        return _visit_page(
            request,
            db,
            patient,
            appointment_id,
            errors=errors,
            values={"note": note},
            status_code=422,
        )
    if made is None:
        return RedirectResponse("/portal?done=cancelled", status_code=303)
    return RedirectResponse(f"/portal/requests/{made.id}?done=sent", status_code=303)


@router.post("/portal/visits/{appointment_id}/reschedule")
def reschedule(
    request: Request, appointment_id: Id, form: Form, db: DbSession, patient: CurrentPatient
) -> Response:
    note = form_text(form, "note")
    try:
        made = visits.ask_to_reschedule(db, patient, appointment_id, note)
    except KetaClinicError as exc:
        errors = field_errors(exc)
        return _visit_page(
            request,
            db,
            patient,
            appointment_id,
            errors=errors,
            values={"note": note},
            status_code=422,
        )
    return RedirectResponse(f"/portal/requests/{made.id}?done=sent", status_code=303)


@router.post("/portal/visits/{appointment_id}/escort")
def confirm_escort(
    request: Request, appointment_id: Id, form: Form, db: DbSession, patient: CurrentPatient
) -> Response:
    values = {
        "escort_name": form_text(form, "escort_name"),
        "escort_phone": form_text(form, "escort_phone"),
    }
    try:
        visits.confirm_escort(
            db, patient, appointment_id, values["escort_name"], values["escort_phone"]
        )
    except KetaClinicError as exc:
        errors = field_errors(exc)
        return _visit_page(
            request, db, patient, appointment_id, errors=errors, values=values, status_code=422
        )
    return RedirectResponse(f"/portal/visits/{appointment_id}?done=escort", status_code=303)


@router.get("/portal/requests/{request_id}")
def request_page(
    request: Request,
    request_id: Id,
    db: DbSession,
    patient: CurrentPatient,
    done: str | None = None,
) -> Response:
    found, visit = visits.own_request(db, patient, request_id)
    context = {"nav": "visits", "req": found, "visit": visit, "done": DONE.get(done or "")}
    return render_portal(request, "portal/request.html", patient, context, db=db)


@router.get("/portal/scores")
def scores_page(request: Request, db: DbSession, patient: CurrentPatient) -> Response:
    shown = scores.shown(db, patient)
    context = {
        "nav": "scores",
        "shown": shown,
        "series": scores.series(db, patient) if shown else [],
    }
    return render_portal(request, "portal/scores.html", patient, context, db=db)


@router.get("/portal/scores/{instrument_id}/plot")
def scores_plot(instrument_id: str, db: DbSession, patient: CurrentPatient) -> Response:
    found = scores.one(db, patient, instrument_id)
    svg = trajectory_svg(found.instrument, found.points, [], found.timezone)
    headers = {"Content-Security-Policy": PLOT_CSP, "Cache-Control": "no-store"}
    return Response(svg, media_type="image/svg+xml", headers=headers)
