"""A registered backend client with real keys (made here with ``cryptography``) and
a way to sign its assertions."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.kit.time import utcnow
from ketaclinic.smart.models import SmartClient
from ketaclinic.smart.service import clients
from tests.conftest import Persona

TOKEN_URL = "http://127.0.0.1:8000/fhir/auth/token"  # the settings' public_url
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Keys:
    private: Any
    alg: str
    kid: str

    def public_jwk(self) -> dict[str, Any]:
        maker = RSAAlgorithm if self.alg == "RS384" else ECAlgorithm
        jwk: dict[str, Any] = maker.to_jwk(self.private.public_key(), as_dict=True)
        return jwk | {"kid": self.kid, "alg": self.alg, "use": "sig"}


def rsa_keys(kid: str = "rsa-1") -> Keys:
    return Keys(rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS384", kid)


def ec_keys(kid: str = "ec-1") -> Keys:
    return Keys(ec.generate_private_key(ec.SECP384R1()), "ES384", kid)


def jwks_of(*keys: Keys) -> str:
    return json.dumps({"keys": [k.public_jwk() for k in keys]})


def assertion(client: SmartClient, keys: Keys, *, alg: str | None = None, **claims: Any) -> str:
    """A signed client assertion; ``claims`` replace the valid defaults (None drops one)."""
    now = utcnow()
    body: dict[str, Any] = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": TOKEN_URL,
        "exp": int((now + timedelta(minutes=4)).timestamp()),
        "jti": secrets.token_hex(16),
    }
    body |= claims
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, keys.private, algorithm=alg or keys.alg, headers={"kid": keys.kid})


def token_form(signed: str, scope: str = "system/*.rs") -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
        "scope": scope,
    }


Register = Callable[..., SmartClient]


@pytest.fixture
def register(db: Session, admin: Persona) -> Register:
    def make(
        *keys: Keys, scopes: str = "system/*.rs", role: str = "nurse", name: str = "Registry"
    ) -> SmartClient:
        principal = principal_for(db, admin.user)
        row = clients.register(
            db,
            principal,
            admin.clinic.id,
            name=name,
            role=role,
            scopes=scopes,
            jwks=jwks_of(*(keys or (rsa_keys(),))),
        )
        db.commit()
        return row

    return make
