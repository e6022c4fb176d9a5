"""Staff sign-in and sign-out pages, and who-am-I for API clients."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth import service
from ketaclinic.auth.deps import SESSION_COOKIE, CurrentPrincipal
from ketaclinic.kit.logging import log
from ketaclinic.kit.web import DbSession, render

router = APIRouter()
LOGIN_CSRF_COOKIE = "kc_login_csrf"


def _secure(request: Request) -> bool:
    setting = request.app.state.settings.cookie_secure
    return bool(setting) if setting is not None else request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never let a login link bounce a user to another host.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/patients"
    return target


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    email: str = "",
    next_url: str = "/patients",
    status_code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"error": error, "email": email, "next": next_url, "login_csrf": token},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/patients",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request,
            error="The sign-in form expired. Please try again.",
            email=email,
            next_url=_safe_next(next),
            status_code=403,
        )
    user = service.authenticate(db, email, password)
    if user is None:
        log.info("login_failed")
        return _login_page(
            request,
            error="Email or password is not right.",
            email=email,
            next_url=_safe_next(next),
            status_code=401,
        )
    settings = request.app.state.settings
    max_age = timedelta(minutes=settings.session_max_age_minutes)
    token, _row = service.start_session(db, user, max_age)
    log.info("login", user_id=user.id)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(max_age.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.end_session(db, cookie)
    log.info("logout", user_id=principal.user_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/api/v1/me", tags=["auth"])
def me(principal: CurrentPrincipal) -> dict[str, Any]:
    """The signed-in user and their role in each clinic."""
    return {
        "id": principal.user_id,
        "email": principal.email,
        "name": principal.name,
        "clinics": [
            {"clinic_id": cid, "role": role.value} for cid, role in principal.roles.items()
        ],
    }
