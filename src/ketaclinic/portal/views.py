"""The patient portal's pages: signing in and out, and the patient's visits."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.kit.web import DbSession
from ketaclinic.portal import sessions
from ketaclinic.portal.actor import record
from ketaclinic.portal.deps import PORTAL_COOKIE, PORTAL_SIGN_IN, CurrentPatient, render_portal

router = APIRouter(include_in_schema=False)


@router.get("/portal/sign-in")
def sign_in_page(request: Request) -> Response:
    return render_portal(request, "portal/sign_in.html", None, {})


@router.post("/portal/sign-out")
def sign_out(request: Request, db: DbSession, patient: CurrentPatient) -> Response:
    sessions.end(db, request.cookies.get(PORTAL_COOKIE, ""))
    record(
        db,
        patient,
        "portal.sign_out",
        resource_type="patient_account",
        resource_id=patient.account_id,
    )
    response = RedirectResponse(PORTAL_SIGN_IN, status_code=303)
    response.delete_cookie(PORTAL_COOKIE)
    return response


@router.get("/portal")
def home(request: Request, db: DbSession, patient: CurrentPatient) -> Response:
    record(
        db, patient, "portal.visits_read", resource_type="patient", resource_id=patient.patient_id
    )
    return render_portal(request, "portal/home.html", patient, {"nav": "visits"}, db=db)
