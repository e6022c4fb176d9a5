"""What the FHIR routes ask: who is calling with which SMART scopes (``smart_caller``)
and whether those scopes allow the interaction (``require_scope``).

A bearer token is either a staff member's API token (its scopes; none chosen means
``user/*.rs``, so the role alone limits it) or a backend client's access token from
the token endpoint (the client's clinic and role, named ``fhir-client:<id>`` in the
audit trail). The role's permissions still apply on top: a scope never widens a role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ketaclinic.auth import service as auth_service
from ketaclinic.auth.deps import origin_of
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.scopes import (
    Context,
    Interaction,
    Scope,
    ScopeInvalid,
    parse_scope,
    parse_scopes,
    permits,
)
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.errors import NotAuthenticated
from ketaclinic.kit.web import DbSession
from ketaclinic.smart.errors import ScopeNotGranted
from ketaclinic.smart.service import tokens

TOKEN_PATH = "/fhir/auth/token"  # noqa: S105 - a path, not a secret
# An API token with no scopes chosen reads (and searches) what its role may read.
API_TOKEN_DEFAULT: tuple[Scope, ...] = (parse_scope("user/*.rs"),)


def token_url(request: Request) -> str:
    """The token endpoint's address as clients must name it in ``aud``: the
    deployment's public address (``public_url``), not what a proxy passed on."""
    return str(request.app.state.settings.public_url).rstrip("/") + TOKEN_PATH


@dataclass(frozen=True)
class Caller:
    principal: Principal
    scopes: tuple[Scope, ...]
    client_id: int | None = None  # a backend client's, else None (a staff token)


def _api_token_scopes(db: Session, token: str) -> tuple[Scope, ...]:
    stored = auth_service.token_scopes(db, token)
    if not stored:
        return API_TOKEN_DEFAULT
    try:
        return tuple(parse_scopes(stored, contexts=[Context.USER]))
    except ScopeInvalid:  # stored checked; a later, stricter parser grants nothing
        return ()


def smart_caller(request: Request, db: Session) -> Caller:
    """The caller behind the ``Authorization: Bearer`` header, or 401. Sets the
    clinics row-level security shows to the caller's."""
    cached = getattr(request.state, "smart_caller", None)
    if isinstance(cached, Caller):
        return cached
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("Send a bearer token: an API token or a SMART access token.")
    origin = origin_of(request, "api")
    if tokens.is_access_token(token):
        set_visible_clinics(db, "*")  # system work: the token, not a clinic, is the key
        found = tokens.client_caller(db, token, origin)
        if found is None:
            set_visible_clinics(db, [])
            raise NotAuthenticated("The access token is unknown, expired or revoked.")
        principal, scopes, client_pk = found
        caller = Caller(principal, tuple(scopes), client_pk)
        set_visible_clinics(db, list(principal.roles))
    else:
        # On PostgreSQL its one statement also sets the user's clinics as visible.
        staff = auth_service.principal_for_token(db, token, origin)
        if staff is None:
            raise NotAuthenticated("The API token is missing, unknown or revoked.")
        caller = Caller(staff, _api_token_scopes(db, token))
    request.state.principal = caller.principal
    request.state.smart_caller = caller
    return caller


async def current_caller(request: Request, db: DbSession) -> Caller:
    """``smart_caller`` as a dependency, looked up on the threadpool."""
    return await run_in_threadpool(smart_caller, request, db)


SmartCaller = Annotated[Caller, Depends(current_caller)]


def require_scope(
    scopes: tuple[Scope, ...] | list[Scope], resource_type: str, interaction: Interaction | str
) -> None:
    """403 ``scope_not_granted`` unless a scope allows ``interaction`` on the type."""
    if not permits(scopes, resource_type, interaction):
        raise ScopeNotGranted(
            f"The token's scopes do not allow {Interaction(interaction).value} of {resource_type}."
        )
