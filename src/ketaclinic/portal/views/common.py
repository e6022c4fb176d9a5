"""What the portal's pages share: cookies, and the sign-in forms' CSRF check."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.web import form_text
from ketaclinic.portal.deps import PORTAL_COOKIE

# Signing in has no session yet: the forms carry a token that must match a cookie
# only this site can set (double submit), so another site cannot sign a browser in
# to an account of its choosing.
SIGN_IN_CSRF_COOKIE = "kc_portal_login_csrf"


def secure(request: Request) -> bool:
    setting = request.app.state.settings.cookie_secure
    return bool(setting) if setting is not None else request.url.scheme == "https"


def new_sign_in_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        max_age=3600,
        path="/portal",
    )


def sign_in_csrf_token(request: Request) -> str:
    """The browser's token if it has one (kept across a form's re-render), else new."""
    return request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)


def sign_in_csrf_ok(request: Request, form: FormData) -> bool:
    expected = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    sent = form_text(form, "csrf_token")
    return bool(expected) and hmac.compare_digest(sent, expected)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        PORTAL_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure(request),
        max_age=int(timedelta(minutes=settings.portal_session_max_age_minutes).total_seconds()),
    )


def max_age(request: Request) -> timedelta:
    return timedelta(minutes=request.app.state.settings.portal_session_max_age_minutes)


def field_errors(exc: KetaClinicError) -> dict[str, str]:
    """A refusal a form can explain (422: by field, 409: at the top); else raised."""
    if exc.status_code == 422:
        return dict(exc.fields) or {"request": exc.message}
    if exc.status_code == 409:
        return {"request": exc.message}
    raise exc
