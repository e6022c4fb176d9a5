"""SMART access's refusals: one class per error with its stable code; and the OAuth
errors the token endpoint answers in OAuth's own shape (RFC 6749 section 5.2)."""

from __future__ import annotations

from ketaclinic.kit.errors import FieldInvalid, Forbidden, NotFound, ValidationFailed


class ScopeNotGranted(Forbidden):
    """The caller's token carries no scope for this interaction on this resource."""

    code = "scope_not_granted"


class ClientDetailsInvalid(ValidationFailed):
    """A client's registration with fields to correct (name, role, scopes, jwks)."""

    code = "fhir_client_details_invalid"


class TokenScopesInvalid(FieldInvalid):
    code = "token_scopes_invalid"
    field = "scopes"


class ClientNotFound(NotFound):
    code = "fhir_client_not_found"


class OAuthError(Exception):
    """An answer of the token endpoint: ``{"error": …, "error_description": …}``."""

    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code

    def to_body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_client(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401)


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description, 400)


def invalid_scope(description: str) -> OAuthError:
    return OAuthError("invalid_scope", description, 400)
