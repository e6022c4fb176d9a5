"""Signing in to the portal: an emailed one-time link (asked for by address; the
answer is the same whether or not an account uses it), or email and password, then
the app's code when two-factor is on; setting the account up from the invitation;
signing out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.deps import origin_of
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.web import DbSession, Form, form_text
from ketaclinic.portal import service, sessions
from ketaclinic.portal.actor import record
from ketaclinic.portal.deps import (
    PORTAL_COOKIE,
    PORTAL_SIGN_IN,
    CurrentPatient,
    clinic_name,
    render_portal,
)
from ketaclinic.portal.errors import PortalLinkUnusable
from ketaclinic.portal.models import PatientAccount
from ketaclinic.portal.views.common import (
    max_age,
    new_sign_in_csrf,
    set_session_cookie,
    sign_in_csrf_ok,
    sign_in_csrf_token,
)

router = APIRouter(include_in_schema=False)
CODE_PAGE = "/portal/sign-in/code"


def _page(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    token = sign_in_csrf_token(request)
    response = render_portal(
        request, name, None, {"sign_in_csrf": token, **(context or {})}, status_code=status_code
    )
    new_sign_in_csrf(request, response, token)
    return response


def _expired(request: Request) -> Response:
    """A sign-in form without this browser's token (expired, or posted from another
    site): the page again, with a fresh token, and nothing done."""
    context = {"errors": {"request": "The form expired. Please try again."}, "email": ""}
    return _page(request, "portal/sign_in.html", context, status_code=403)


def _errors(exc: KetaClinicError) -> dict[str, str]:
    if exc.status_code == 422:
        return dict(exc.fields) or {"request": exc.message}
    raise exc


def _signed_in(request: Request, db: Session, account: PatientAccount) -> Response:
    """A session for the account: a full one, or one waiting for the app's code."""
    pending = service.two_factor_on(account)
    token, _row = sessions.start(db, account, max_age(request), mfa_passed=not pending)
    response = RedirectResponse(CODE_PAGE if pending else "/portal", status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.get("/portal/sign-in")
def sign_in_page(request: Request) -> Response:
    return _page(request, "portal/sign_in.html", {"errors": {}, "email": ""})


@router.post("/portal/sign-in")
def ask_for_link(request: Request, form: Form, db: DbSession) -> Response:
    if not sign_in_csrf_ok(request, form):
        return _expired(request)
    email = form_text(form, "email")
    set_visible_clinics(db, "*")  # system work: no one is signed in; the address is the key
    try:
        service.request_sign_in_link(
            db,
            email,
            ip=origin_of(request, "portal").ip,
            secret_key=request.app.state.secret_key,
            origin=origin_of(request, "portal"),
        )
    except KetaClinicError as exc:
        context = {"errors": _errors(exc), "email": email}
        return _page(request, "portal/sign_in.html", context, status_code=422)
    return _page(request, "portal/sign_in_sent.html", {"email": email.strip()})


@router.post("/portal/sign-in/password")
def sign_in_with_password(request: Request, form: Form, db: DbSession) -> Response:
    if not sign_in_csrf_ok(request, form):
        return _expired(request)
    email = form_text(form, "email")
    set_visible_clinics(db, "*")
    origin = origin_of(request, "portal")
    try:
        account = service.sign_in_with_password(
            db,
            email,
            form_text(form, "password"),
            ip=origin.ip,
            secret_key=request.app.state.secret_key,
            origin=origin,
        )
    except KetaClinicError as exc:
        context = {"errors": _errors(exc), "email": email, "with_password": True}
        return _page(request, "portal/sign_in.html", context, status_code=422)
    return _signed_in(request, db, account)


def _pending(request: Request, db: Session) -> tuple[PatientAccount, Any] | None:
    cookie = request.cookies.get(PORTAL_COOKIE)
    idle = timedelta(minutes=request.app.state.settings.portal_idle_timeout_minutes)
    found = sessions.for_cookie(db, cookie, idle_timeout=idle) if cookie else None
    if found is None or found[1].mfa_passed:
        return None
    return found


@router.get("/portal/sign-in/code")
def code_page(request: Request, db: DbSession) -> Response:
    set_visible_clinics(db, "*")
    if _pending(request, db) is None:
        return RedirectResponse(PORTAL_SIGN_IN, status_code=303)
    return _page(request, "portal/code.html", {"errors": {}})


@router.post("/portal/sign-in/code")
def enter_code(request: Request, form: Form, db: DbSession) -> Response:
    if not sign_in_csrf_ok(request, form):
        return _expired(request)
    set_visible_clinics(db, "*")
    found = _pending(request, db)
    if found is None:
        return RedirectResponse(PORTAL_SIGN_IN, status_code=303)
    account, row = found
    try:
        service.check_code(db, account, form_text(form, "code"), origin_of(request, "portal"))
    except KetaClinicError as exc:
        # Answered with a page, not raised: the failure's audit event commits.
        return _page(request, "portal/code.html", {"errors": _errors(exc)}, status_code=422)
    sessions.pass_second_factor(row, max_age(request))
    return RedirectResponse("/portal", status_code=303)


def _unusable(request: Request) -> Response:
    context = {"errors": {"request": PortalLinkUnusable.default_message}, "email": ""}
    return _page(request, "portal/sign_in.html", context, status_code=404)


@router.get("/portal/link/{token}")
def link_page(request: Request, token: str, db: DbSession) -> Response:
    """Opening the emailed link shows a button: a mail scanner that fetches links
    must not use up the patient's one sign-in."""
    set_visible_clinics(db, "*")
    try:
        _link, account = service.open_link(db, token, service.SIGN_IN)
    except PortalLinkUnusable:
        return _unusable(request)
    context = {"clinic_name": clinic_name(db, account.clinic_id), "token": token}
    return _page(request, "portal/link.html", context)


@router.post("/portal/link/{token}")
def use_link(request: Request, token: str, form: Form, db: DbSession) -> Response:
    if not sign_in_csrf_ok(request, form):
        return _expired(request)
    set_visible_clinics(db, "*")
    try:
        account = service.sign_in_with_link(db, token, origin_of(request, "portal"))
    except PortalLinkUnusable:
        return _unusable(request)
    return _signed_in(request, db, account)


@router.get("/portal/welcome/{token}")
def welcome_page(request: Request, token: str, db: DbSession) -> Response:
    set_visible_clinics(db, "*")
    try:
        _link, account = service.open_link(db, token, service.INVITATION)
    except PortalLinkUnusable:
        return _unusable(request)
    context = {
        "clinic_name": clinic_name(db, account.clinic_id),
        "token": token,
        "email": account.email,
        "errors": {},
        "min_length": request.app.state.settings.password_min_length,
    }
    return _page(request, "portal/welcome.html", context)


@router.post("/portal/welcome/{token}")
def accept_invitation(request: Request, token: str, form: Form, db: DbSession) -> Response:
    if not sign_in_csrf_ok(request, form):
        return _expired(request)
    set_visible_clinics(db, "*")
    min_length = request.app.state.settings.password_min_length
    try:
        account = service.accept_invitation(
            db,
            token,
            form_text(form, "password"),
            min_length=min_length,
            origin=origin_of(request, "portal"),
        )
    except PortalLinkUnusable:
        return _unusable(request)
    except KetaClinicError as exc:
        _link, account = service.open_link(db, token, service.INVITATION)
        context = {
            "clinic_name": clinic_name(db, account.clinic_id),
            "token": token,
            "email": account.email,
            "errors": _errors(exc),
            "min_length": min_length,
        }
        return _page(request, "portal/welcome.html", context, status_code=422)
    return _signed_in(request, db, account)


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
