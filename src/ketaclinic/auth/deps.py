"""Who is calling (a bearer token or a session cookie), from where, and whether the
route's rule in ``ROUTE_RULES`` lets them in."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from ketaclinic.auth import service
from ketaclinic.auth.principal import Origin, Principal
from ketaclinic.auth.roles import Access, rule_for
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.errors import Forbidden, NotAuthenticated
from ketaclinic.kit.web import DbSession

SESSION_COOKIE = "kc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def origin_of(request: Request, channel: str) -> Origin:
    client = request.client.host if request.client else ""
    return Origin(
        channel=channel,
        ip=client,
        user_agent=request.headers.get("user-agent", "")[:300],
        request_id=getattr(request.state, "request_id", ""),
    )


async def _csrf_sent(request: Request) -> str:
    if token := request.headers.get(CSRF_HEADER):
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it for the handler
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def _resolve(request: Request, db: DbSession) -> Principal:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        user = service.user_for_token(db, token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise NotAuthenticated("The API token is missing, unknown or revoked.")
        return service.principal_for(db, user, via_token=True, origin=origin_of(request, "api"))
    cookie = request.cookies.get(SESSION_COOKIE)
    settings = request.app.state.settings
    idle = timedelta(minutes=settings.idle_timeout_minutes)
    found = service.session_for_cookie(db, cookie, idle_timeout=idle) if cookie else None
    if found is None:
        raise NotAuthenticated()
    user, session_row = found
    if not session_row.mfa_passed:
        raise NotAuthenticated("Enter your two-factor code to finish signing in.")
    # A cookie rides along on cross-site requests; a token it cannot read does not.
    if request.method not in SAFE_METHODS:
        sent = await _csrf_sent(request)
        if not hmac.compare_digest(sent, session_row.csrf_token):
            raise Forbidden("The form expired or did not come from this site; reload and retry.")
    channel = "api" if request.url.path.startswith("/api/") else "web"
    return service.principal_for(
        db, user, csrf_token=session_row.csrf_token, origin=origin_of(request, channel)
    )


async def current_principal(request: Request, db: DbSession) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    principal = await _resolve(request, db)
    request.state.principal = principal
    set_visible_clinics(db, list(principal.roles))
    return principal


async def authorize(request: Request, db: DbSession) -> None:
    """App-wide dependency: enforce the route's rule before anything else runs,
    so a refused caller never reaches validation or the handler."""
    route = request.scope.get("route")
    rule = rule_for(request.method, getattr(route, "path", ""))
    if rule is None:  # create_app refuses to start with an unlisted route
        raise Forbidden("This route has no access rule.")
    if rule is Access.PUBLIC:
        return
    principal = await current_principal(request, db)
    if rule is Access.SIGNED_IN:
        return
    if not principal.clinics_with(rule):
        raise Forbidden()


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
