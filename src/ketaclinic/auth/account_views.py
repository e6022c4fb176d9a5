"""The signed-in user's own two-factor page: enrol, see the recovery codes once,
turn it off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth import mfa, service, throttle
from ketaclinic.auth.deps import ENROL_PATH, CurrentPrincipal
from ketaclinic.auth.models import User
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.web import DbSession, render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    db: DbSession,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    recovery_codes: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    settings = request.app.state.settings
    context: dict[str, Any] = {
        "enabled": mfa.is_enabled(user),
        "errors": errors or {},
        "recovery_codes": recovery_codes,
        "required": settings.require_mfa,
        "timezone": settings.timezone,
    }
    if context["enabled"]:
        context["enabled_at"] = user.totp_enabled_at
        context["codes_left"] = mfa.recovery_codes_left(db, user)
    else:
        secret = mfa.pending_secret(user)
        context["secret"] = mfa.grouped(secret)
        context["qr_svg"] = mfa.qr_svg(mfa.provisioning_uri(user, secret))
    return render(request, "auth/account_mfa.html", context, status_code=status_code)


@router.get(ENROL_PATH)
def mfa_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    return _page(request, db, service.get_user(db, principal.user_id))


@router.post(ENROL_PATH)
def mfa_enrol(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    code: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    user = service.get_user(db, principal.user_id)
    try:
        codes = mfa.confirm_enrolment(db, user, code, principal)
    except ValidationFailed as exc:
        return _page(request, db, user, errors=exc.fields, status_code=422)
    return _page(request, db, user, recovery_codes=codes)


@router.post(ENROL_PATH + "/disable")
def mfa_disable(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    proof: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    user = service.get_user(db, principal.user_id)
    if mfa.disable(db, user, proof, principal):
        return RedirectResponse(ENROL_PATH, status_code=303)
    # A wrong proof counts like a wrong sign-in: otherwise a stolen session could
    # guess the password here without limit.
    locked = throttle.record_failure(
        db,
        user=user,
        email=user.email,
        reason="bad_proof",
        limits=throttle.Limits.from_settings(request.app.state.settings),
        origin=principal.origin,
        action="auth.mfa_disable_failed",
    )
    if locked:
        return RedirectResponse("/login", status_code=303)
    errors = {"proof": "is not a current code, a recovery code or your password"}
    return _page(request, db, user, errors=errors, status_code=422)
