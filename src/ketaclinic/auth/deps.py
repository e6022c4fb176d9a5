"""Who is calling (a bearer token or a session cookie), from where, and whether the
route's rule in ``ROUTE_RULES`` lets them in."""

from __future__ import annotations

import hmac
from datetime import timedelta
from functools import partial
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ketaclinic.auth import service
from ketaclinic.auth.errors import FormOriginRefused, NoAccessRule
from ketaclinic.auth.polls import is_poll
from ketaclinic.identity.errors import RoleNotAllowed
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.identity.routes import Access, rule_for
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.errors import Forbidden, NotAuthenticated
from ketaclinic.kit.web import DbSession, Pending, check_in_endpoint, check_pending

SESSION_COOKIE = "kc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ENROL_PATH = "/account/mfa"
# With require_mfa, a signed-in user without two-factor may open only these.
OPEN_BEFORE_ENROLMENT = frozenset({ENROL_PATH, "/logout"})


class MfaEnrolmentRequired(Forbidden):
    """Pages answer it with a redirect to the enrolment page (see app.py)."""

    code = "mfa_enrolment_required"

    def __init__(self) -> None:
        super().__init__("Set up two-factor sign-in before opening other pages.")


def origin_of(request: Request, channel: str) -> Origin:
    client = request.client.host if request.client else ""
    return Origin(
        channel=channel,
        ip=client,
        user_agent=request.headers.get("user-agent", "")[:300],
        request_id=getattr(request.state, "request_id", ""),
    )


async def csrf_sent(request: Request) -> str:
    """The CSRF token a browser sent with a write (header or form field).

    The only async step of authentication, and it touches no database: everything
    that queries runs on the threadpool. A blocking query on the event loop would
    stall every other request, including the one holding the SQLite write lock it
    waits for. Awaited by ``authorize`` and ``current_principal`` when they look the
    caller up, not a dependency of theirs: each dependency costs FastAPI's solving
    on every request, a cached one too."""
    if request.method in SAFE_METHODS or request.headers.get("Authorization"):
        return ""
    if token := request.headers.get(CSRF_HEADER):
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it for the handler
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _resolve(request: Request, db: Session, sent: str) -> Principal:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        principal = (
            service.principal_for_token(db, token.strip(), origin_of(request, "api"))
            if scheme.lower() == "bearer"
            else None
        )
        if principal is None:
            raise NotAuthenticated("The API token is missing, unknown or revoked.")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    settings = request.app.state.settings
    idle = timedelta(minutes=settings.idle_timeout_minutes)
    # A background poll is no sign of someone at the screen: it keeps nothing alive.
    touch = not is_poll(request)
    found = (
        service.session_for_cookie(db, cookie, idle_timeout=idle, touch=touch) if cookie else None
    )
    if found is None:
        raise NotAuthenticated()
    user, session_row = found
    if not session_row.mfa_passed:
        raise NotAuthenticated("Enter your two-factor code to finish signing in.")
    if settings.require_mfa and user.totp_enabled_at is None:
        route_path = getattr(request.scope.get("route"), "path", "")
        if route_path not in OPEN_BEFORE_ENROLMENT:
            raise MfaEnrolmentRequired()
    # A cookie rides along on cross-site requests; a token it cannot read does not.
    if request.method not in SAFE_METHODS and not hmac.compare_digest(sent, session_row.csrf_token):
        raise FormOriginRefused(
            "The form expired or did not come from this site; reload and retry."
        )
    channel = "api" if request.url.path.startswith("/api/") else "web"
    return service.principal_for(
        db, user, csrf_token=session_row.csrf_token, origin=origin_of(request, channel)
    )


def _principal(request: Request, db: Session, sent: str) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    principal = _resolve(request, db, sent)
    request.state.principal = principal
    if not principal.via_token:  # a token's lookup set them (auth.service)
        set_visible_clinics(db, list(principal.roles))
    return principal


async def current_principal(request: Request, db: DbSession) -> Principal:
    """The caller, as ``authorize`` found them before (no threadpool step then);
    looked up on the threadpool when the route's rule did not need to."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    if check_pending():
        # ``authorize`` left the lookup to the endpoint's own step, and only does so
        # when the endpoint itself is the one asking: it gets the caller from there.
        return cast(Principal, Pending(lambda: request.state.principal))
    return await run_in_threadpool(_principal, request, db, await csrf_sent(request))


def _authorize(request: Request, db: Session, sent: str, rule: Permission | Access) -> None:
    principal = _principal(request, db, sent)
    if isinstance(rule, Permission) and not principal.clinics_with(rule):
        raise RoleNotAllowed()


async def authorize(request: Request, db: DbSession) -> None:
    """App-wide dependency: enforce the route's rule before anything else runs,
    so a refused caller never reaches validation or the handler.

    Async: a public route costs no threadpool step, and the caller's lookup is one
    step (the queries never run on the event loop) — or none of its own: a read on a
    ``UnitOfWorkRoute`` does it first in the endpoint's step (kit.web.check_in_endpoint),
    still before any parameter error is answered."""
    route = request.scope.get("route")
    rule = rule_for(request.method, getattr(route, "path", ""))
    if rule is None:  # create_app refuses to start with an unlisted route
        raise NoAccessRule("This route has no access rule.")
    if rule is Access.PUBLIC or rule is Access.PATIENT or rule is Access.SMART:
        # a portal page: portal.deps.CurrentPatient checks the patient's session; a
        # FHIR route: smart.deps.smart_caller checks the bearer token and its scopes
        return
    sent = await csrf_sent(request)
    check = partial(_authorize, request, db, sent, rule)
    if not _principal_asked_below(route) and check_in_endpoint(check):
        return  # done first in the endpoint's threadpool step (kit.web.UnitOfWorkRoute)
    await run_in_threadpool(check)


def _asks_principal(dependant: Dependant) -> bool:
    return any(d.call is current_principal or _asks_principal(d) for d in dependant.dependencies)


def _principal_asked_below(route: Any) -> bool:
    """Whether a dependency of the endpoint's (not the endpoint itself) takes the
    caller: it needs them before the endpoint's step, so the lookup cannot wait.
    Worked out once per route (kept on it)."""
    asked = getattr(route, "_kc_principal_asked_below", None)
    if asked is None:
        dependant = getattr(route, "dependant", None)
        asked = dependant is None or any(_asks_principal(d) for d in dependant.dependencies)
        route._kc_principal_asked_below = asked
    return bool(asked)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
