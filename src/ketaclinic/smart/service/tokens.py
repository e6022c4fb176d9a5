"""The token endpoint's work (a signed assertion for a short-lived access token) and
what a bearer token on a FHIR route stands for.

An access token is ``kcs_`` and 43 random characters; only its SHA-256 is kept, like
an API token's, and it lasts ``ACCESS_TOKEN_SECONDS``. Every "now" is the one clock's.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Role
from ketaclinic.identity.scopes import (
    Context,
    Scope,
    intersect,
    parse_scopes,
    render,
    resource_scopes,
)
from ketaclinic.kit.time import utcnow, wall_utcnow
from ketaclinic.smart import repository
from ketaclinic.smart.assertion import ASSERTION_TYPE, issuer_of, verify
from ketaclinic.smart.errors import OAuthError, invalid_client, invalid_request, invalid_scope
from ketaclinic.smart.models import SmartAccessToken, SmartClient

ACCESS_TOKEN_SECONDS = 300
ACCESS_TOKEN_PREFIX = "kcs_"  # noqa: S105 - a marker, not a secret
GRANT_TYPE = "client_credentials"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class TokenRequest:
    grant_type: str
    client_assertion_type: str
    client_assertion: str
    scope: str


@dataclass(frozen=True)
class Issued:
    access_token: str
    scopes: list[Scope]
    expires_in: int

    def to_body(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "scope": render(self.scopes),
        }


def _refused(db: Session, client: SmartClient, error: OAuthError, origin: Origin) -> OAuthError:
    """A known client's refusal goes on its clinic's audit trail."""
    audit.record(
        db,
        None,
        "fhir_client.token_refused",
        outcome=audit.DENIED,
        clinic_id=client.clinic_id,
        resource_type="fhir_client",
        resource_id=client.id,
        detail={"error": error.error, "reason": error.description},
        origin=origin,
        actor=client.actor,
    )
    return error


def exchange(db: Session, form: TokenRequest, *, token_url: str, origin: Origin) -> Issued:
    """An access token for a valid client assertion, with the scopes both asked for
    and allowed; ``OAuthError`` otherwise (nothing is issued)."""
    if form.grant_type != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type", f"grant_type must be {GRANT_TYPE}")
    if form.client_assertion_type != ASSERTION_TYPE:
        raise invalid_request(f"client_assertion_type must be {ASSERTION_TYPE}")
    if not form.client_assertion:
        raise invalid_request("client_assertion is required")
    if not form.scope.strip():
        raise invalid_scope("scope is required, e.g. system/*.rs")
    client = repository.client_by_client_id(db, issuer_of(form.client_assertion))
    if client is None:
        raise invalid_client("the client is not registered")
    if client.revoked_at is not None:
        raise _refused(db, client, invalid_client("the client was revoked"), origin)
    now = utcnow()
    # The client signed its assertion by its own clock: it is checked against the wall
    # clock (the demo runs on a shifted one), as the authenticator's codes are.
    signed_now = wall_utcnow()
    try:
        checked = verify(form.client_assertion, client.jwks, audience=token_url, now=signed_now)
        used = repository.use_assertion(db, client, checked.jti, checked.expires_at, signed_now)
        if not used:
            raise invalid_client("client_assertion was used before (jti)")
        asked = [s for s in resource_scopes(form.scope) if s.context is Context.SYSTEM]
        granted = intersect(asked, parse_scopes(client.scopes))
        if not granted:
            raise invalid_scope("none of the scopes asked for is allowed to this client")
    except OAuthError as exc:
        raise _refused(db, client, exc, origin) from None
    token = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)
    repository.forget_expired_tokens(db, client, now)
    repository.add_access_token(
        db,
        SmartAccessToken(
            client_id=client.id,
            clinic_id=client.clinic_id,
            token_hash=_sha256(token),
            scopes=render(granted),
            issued_at=now,
            expires_at=now + timedelta(seconds=ACCESS_TOKEN_SECONDS),
        ),
    )
    client.last_used_at = now
    audit.record(
        db,
        None,
        "fhir_client.token_issued",
        clinic_id=client.clinic_id,
        resource_type="fhir_client",
        resource_id=client.id,
        detail={"scopes": render(granted)},
        origin=origin,
        actor=client.actor,
    )
    return Issued(token, granted, ACCESS_TOKEN_SECONDS)


def is_access_token(token: str) -> bool:
    return token.startswith(ACCESS_TOKEN_PREFIX)


def client_caller(
    db: Session, token: str, origin: Origin
) -> tuple[Principal, list[Scope], int] | None:
    """The client behind a live access token, as a principal of its clinic and role
    (named ``fhir-client:<id>`` in the audit trail), the token's scopes and the
    client's id."""
    found = repository.live_access_token(db, _sha256(token), utcnow())
    if found is None:
        return None
    row, client = found
    principal = Principal(
        user_id=0,  # no staff account: the audit trail keeps no user id for it
        email=client.actor,
        name=client.name,
        roles={client.clinic_id: Role(client.role)},
        via_token=True,
        origin=origin,
    )
    return principal, parse_scopes(row.scopes), client.id
