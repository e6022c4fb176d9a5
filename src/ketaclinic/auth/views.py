"""Staff sign-in (password, then the second factor when enrolled), sign-out, and
who-am-I for API clients."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.audit import service as audit
from ketaclinic.auth import account_views, mfa, service, staff_views, throttle
from ketaclinic.auth.access import home_for
from ketaclinic.auth.deps import ENROL_PATH, SESSION_COOKIE, CurrentPrincipal, origin_of
from ketaclinic.auth.models import StaffSession, User
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.logging import log
from ketaclinic.kit.web import DbSession, render

router = APIRouter()
LOGIN_CSRF_COOKIE = "kc_login_csrf"
# Between the password and the second factor: long enough to find the phone.
PENDING_MFA_MAX_AGE = timedelta(minutes=10)

SIGN_IN_REFUSED = (
    "Email or password is not right. Repeated failures lock an account; "
    "an administrator can unlock it."
)
LOCKED_AFTER_CODES = (
    "Too many wrong codes: the account is now locked. Ask an administrator to unlock it."
)
CODE_WRONG = "That code is not right. Enter the newest code from your app, or a recovery code."
CODE_REUSED = "That code has already been used. Wait for the next code and enter it."


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


def _set_session_cookie(
    response: Response, request: Request, token: str, max_age: timedelta
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(max_age.total_seconds()),
    )


def _ip_throttled_message(request: Request) -> str:
    minutes = request.app.state.settings.ip_failure_window_minutes
    return f"Too many failed sign-ins from this network. Wait {minutes} minutes, then try again."


def _signed_in(
    request: Request,
    db: DbSession,
    user: User,
    *,
    method: str,
    next_url: str,
    pending: StaffSession | None = None,
    totp_step: int | None = None,
) -> Response:
    """Both factors are in: reset the failure count, open (or finish) the session."""
    settings = request.app.state.settings
    max_age = timedelta(minutes=settings.session_max_age_minutes)
    origin = origin_of(request, "web")
    throttle.record_success(user)
    detail: dict[str, Any] = {"method": method}
    if totp_step is not None:
        detail["totp_step"] = totp_step
    principal = service.principal_for(db, user, origin=origin)
    if next_url == "/patients" and not principal.clinics_with(Permission.PATIENT_READ):
        # The custodian keeps stock and reads no charts: their start page is the ledger;
        # the network operator's, the reports (the first page the role may open).
        next_url = home_for(request.app, principal)
    audit.record(
        db,
        principal,
        "auth.login",
        resource_type="user",
        resource_id=user.id,
        detail=detail,
    )
    token = request.cookies.get(SESSION_COOKIE, "")
    if pending is None:
        token, _row = service.start_session(db, user, max_age, ip=origin.ip)
    else:
        service.pass_second_factor(pending, max_age)
    log.info("login", user_id=user.id, method=method)
    if settings.require_mfa and not mfa.is_enabled(user):
        next_url = ENROL_PATH
    response = RedirectResponse(next_url, status_code=303)
    _set_session_cookie(response, request, token, max_age)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/patients",
) -> Response:
    next_url = _safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request,
            error="The sign-in form expired. Please try again.",
            email=email,
            next_url=next_url,
            status_code=403,
        )
    origin = origin_of(request, "web")
    limits = throttle.Limits.from_settings(request.app.state.settings)
    # A throttled address is refused before the password is even looked at.
    if throttle.ip_blocked(db, origin.ip, limits):
        throttle.record_ip_refusal(db, email[:254], origin)
        log.info("login_throttled")
        return _login_page(
            request,
            error=_ip_throttled_message(request),
            email=email,
            next_url=next_url,
            status_code=429,
        )
    check = service.check_password(db, email, password)
    if not check.ok or check.user is None:
        throttle.record_failure(
            db,
            user=check.user,
            email=check.email,
            reason=check.refusal,
            limits=limits,
            origin=origin,
        )
        log.info("login_failed")
        # One message for every refusal, locked accounts included: it must not
        # tell whether the email exists or whether the password was right.
        return _login_page(
            request, error=SIGN_IN_REFUSED, email=email, next_url=next_url, status_code=401
        )
    user = check.user
    if not mfa.is_enabled(user):
        return _signed_in(request, db, user, method="password", next_url=next_url)
    token, _row = service.start_session(
        db, user, PENDING_MFA_MAX_AGE, mfa_passed=False, ip=origin.ip
    )
    response = RedirectResponse(f"/login/mfa?next={quote(next_url, safe='/')}", status_code=303)
    _set_session_cookie(response, request, token, PENDING_MFA_MAX_AGE)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _pending_sign_in(request: Request, db: DbSession) -> tuple[User, StaffSession] | None:
    """The user half-way through signing in: right password, no second factor yet."""
    cookie = request.cookies.get(SESSION_COOKIE)
    idle = timedelta(minutes=request.app.state.settings.idle_timeout_minutes)
    found = service.session_for_cookie(db, cookie, idle_timeout=idle) if cookie else None
    if found is None or found[1].mfa_passed or not mfa.is_enabled(found[0]):
        return None
    return found


def _mfa_page(
    request: Request,
    row: StaffSession,
    *,
    next_url: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "auth/login_mfa.html",
        {"error": error, "next": next_url, "csrf": row.csrf_token},
        status_code=status_code,
    )


@router.get("/login/mfa", include_in_schema=False)
def login_mfa_form(request: Request, db: DbSession, next: str | None = None) -> Response:
    pending = _pending_sign_in(request, db)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    return _mfa_page(request, pending[1], next_url=_safe_next(next))


@router.post("/login/mfa", include_in_schema=False)
def login_mfa(
    request: Request,
    db: DbSession,
    code: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/patients",
) -> Response:
    next_url = _safe_next(next)
    pending = _pending_sign_in(request, db)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    user, row = pending
    if not hmac.compare_digest(csrf_token, row.csrf_token):
        return _mfa_page(
            request,
            row,
            next_url=next_url,
            error="The form expired. Please enter the code again.",
            status_code=403,
        )
    origin = origin_of(request, "web")
    limits = throttle.Limits.from_settings(request.app.state.settings)
    if throttle.ip_blocked(db, origin.ip, limits):
        throttle.record_ip_refusal(db, user.email, origin)
        return _mfa_page(
            request,
            row,
            next_url=next_url,
            error=_ip_throttled_message(request),
            status_code=429,
        )
    factor = mfa.check_second_factor(db, user, code)
    if not factor.ok:
        locked = throttle.record_failure(
            db,
            user=user,
            email=user.email,
            reason="reused_code" if factor.reused else "bad_code",
            limits=limits,
            origin=origin,
        )
        if locked:  # which also ended this half-open session
            response = _login_page(request, error=LOCKED_AFTER_CODES, status_code=401)
            response.delete_cookie(SESSION_COOKIE)
            return response
        error = CODE_REUSED if factor.reused else CODE_WRONG
        return _mfa_page(request, row, next_url=next_url, error=error, status_code=401)
    if factor.method == "recovery":
        audit.record(
            db,
            service.principal_for(db, user, origin=origin),
            "auth.recovery_code_used",
            resource_type="user",
            resource_id=user.id,
            detail={"left": mfa.recovery_codes_left(db, user)},
        )
    return _signed_in(
        request,
        db,
        user,
        method=factor.method,
        next_url=next_url,
        pending=row,
        totp_step=factor.step,
    )


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


# The account and staff pages live in their own modules; app.py includes this router.
router.include_router(account_views.router)
router.include_router(staff_views.router)
