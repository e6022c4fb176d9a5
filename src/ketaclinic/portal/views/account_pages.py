"""The patient's sign-in settings: a password, and two-factor with an authenticator
app (both optional: the emailed link always works)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth.mfa import grouped, qr_svg
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.web import DbSession, Form, form_text
from ketaclinic.portal import service
from ketaclinic.portal.deps import CurrentPatient, PortalPatient, render_portal
from ketaclinic.portal.views.common import field_errors

router = APIRouter(include_in_schema=False)
DONE = {
    "password": "Your password is saved.",
    "two-factor-on": "Two-factor sign-in is on.",
    "two-factor-off": "Two-factor sign-in is off.",
}


def _page(
    request: Request,
    db: DbSession,
    patient: PortalPatient,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    account = service.own_account(db, patient)
    context: dict[str, Any] = {
        "account": account,
        "has_password": account.password_hash is not None,
        "two_factor": service.two_factor_on(account),
        "done": DONE.get(done or ""),
        "errors": errors or {},
        "min_length": request.app.state.settings.password_min_length,
    }
    if not context["two_factor"]:
        secret, uri = service.pending_totp_secret(db, patient)
        context.update(secret=grouped(secret), qr=qr_svg(uri))
    return render_portal(
        request, "portal/account.html", patient, context, db=db, status_code=status_code
    )


@router.get("/portal/account")
def account_page(
    request: Request, db: DbSession, patient: CurrentPatient, done: str | None = None
) -> Response:
    return _page(request, db, patient, done=done)


@router.post("/portal/account/password")
def set_password(request: Request, form: Form, db: DbSession, patient: CurrentPatient) -> Response:
    min_length = request.app.state.settings.password_min_length
    try:
        service.change_password(db, patient, form_text(form, "password"), min_length)
    except KetaClinicError as exc:
        return _page(request, db, patient, errors=field_errors(exc), status_code=422)
    return RedirectResponse("/portal/account?done=password", status_code=303)


@router.post("/portal/account/two-factor")
def turn_on_two_factor(
    request: Request, form: Form, db: DbSession, patient: CurrentPatient
) -> Response:
    try:
        service.confirm_totp(db, patient, form_text(form, "code"))
    except KetaClinicError as exc:
        return _page(request, db, patient, errors=field_errors(exc), status_code=422)
    return RedirectResponse("/portal/account?done=two-factor-on", status_code=303)


@router.post("/portal/account/two-factor/off")
def turn_off_two_factor(
    request: Request, form: Form, db: DbSession, patient: CurrentPatient
) -> Response:
    try:
        service.turn_off_totp(db, patient, form_text(form, "code"))
    except KetaClinicError as exc:
        return _page(request, db, patient, errors=field_errors(exc), status_code=422)
    return RedirectResponse("/portal/account?done=two-factor-off", status_code=303)
