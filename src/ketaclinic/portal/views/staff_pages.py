"""Staff pages for the portal: inviting a patient from the chart (or switching their
access off), and the front desk's queue of what patients asked from the portal."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_text, render
from ketaclinic.portal import service, visits
from ketaclinic.portal.views.common import field_errors

router = APIRouter(include_in_schema=False)


@router.post("/patients/{patient_id}/portal-invitation")
def invite(patient_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    service.invite(db, principal, patient_id)
    return RedirectResponse(f"/patients/{patient_id}#portal", status_code=303)


@router.post("/patients/{patient_id}/portal-account/disable")
def disable(patient_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    service.disable(db, principal, patient_id)
    return RedirectResponse(f"/patients/{patient_id}#portal", status_code=303)


def _queue_page(
    request: Request,
    db: DbSession,
    principal: CurrentPrincipal,
    status: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    items = visits.staff_queue(db, principal, status)
    context = {
        "items": items,
        "status": status,
        "errors": errors or {},
        "can_close": bool(principal.clinics_with(Permission.PATIENT_WRITE)),
    }
    return render(request, "portal/requests_queue.html", context, status_code=status_code)


@router.get("/schedule/requests")
def queue(
    request: Request, db: DbSession, principal: CurrentPrincipal, closed: bool = False
) -> Response:
    return _queue_page(request, db, principal, "closed" if closed else "open")


@router.post("/schedule/requests/{request_id}/close")
def close(
    request: Request, request_id: Id, form: Form, db: DbSession, principal: CurrentPrincipal
) -> Response:
    try:
        visits.close_request(db, principal, request_id, form_text(form, "outcome"))
    except KetaClinicError as exc:
        errors = {f"{request_id}.{k}": v for k, v in field_errors(exc).items()}
        return _queue_page(request, db, principal, "open", errors, status_code=422)
    return RedirectResponse("/schedule/requests", status_code=303)
