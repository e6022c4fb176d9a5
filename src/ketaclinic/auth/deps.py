"""Who is calling: a bearer token (API clients) or a session cookie (browsers)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from ketaclinic.auth import service
from ketaclinic.auth.principal import Principal
from ketaclinic.kit.errors import Forbidden, NotAuthenticated
from ketaclinic.kit.web import DbSession

SESSION_COOKIE = "kc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _csrf_sent(request: Request) -> str:
    if token := request.headers.get(CSRF_HEADER):
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it for the handler
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def current_principal(request: Request, db: DbSession) -> Principal:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        user = service.user_for_token(db, token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise NotAuthenticated("The API token is missing, unknown or revoked.")
        principal = service.principal_for(db, user, via_token=True)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        found = service.session_for_cookie(db, cookie) if cookie else None
        if found is None:
            raise NotAuthenticated()
        user, session_row = found
        # A cookie rides along on cross-site requests; a token it cannot read does not.
        if request.method not in SAFE_METHODS:
            sent = await _csrf_sent(request)
            if not hmac.compare_digest(sent, session_row.csrf_token):
                raise Forbidden(
                    "The form expired or did not come from this site; reload and retry."
                )
        principal = service.principal_for(db, user, csrf_token=session_row.csrf_token)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
