"""The client's public keys (a JWKS document) and its signed assertion, checked with
PyJWT (never hand-written crypto). Every time check uses the ``now`` passed in (the
one clock): PyJWT's own exp/nbf/iat checks, which read the wall clock, are off.

SMART App Launch 2.x, Backend Services: the assertion is a JWT signed with RS384 or
ES384 by a key in the client's JWKS; ``iss`` and ``sub`` are the client id, ``aud``
the token endpoint's URL, ``exp`` at most five minutes ahead, ``jti`` used once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from ketaclinic.smart.errors import OAuthError, invalid_client, invalid_request

ALGORITHMS = ("RS384", "ES384")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_LIFETIME = timedelta(minutes=5)
# Allowed between the client's clock and ours, as most servers allow.
CLOCK_SKEW = timedelta(seconds=60)
MAX_ASSERTION_CHARS = 16_000
MAX_JWKS_CHARS = 50_000
MAX_KEYS = 10
RSA_MIN_BITS = 2048
_PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "k")


class KeysInvalid(ValueError):
    """A JWKS document this server cannot use, with the reason in words."""


def _usable(key: dict[str, Any]) -> jwt.PyJWK:
    if not isinstance(key, dict):
        raise KeysInvalid("each key is a JSON object")
    if any(member in key for member in _PRIVATE):
        raise KeysInvalid("a key holds private or secret parts: give the public keys only")
    alg = key.get("alg")
    if alg is not None and alg not in ALGORITHMS:
        raise KeysInvalid(f"a key is for {alg}; only RS384 and ES384 are accepted")
    kty = key.get("kty")
    if kty == "RSA":
        algorithm = "RS384"
    elif kty == "EC":
        if key.get("crv") != "P-384":
            raise KeysInvalid("an EC key must be on the P-384 curve (ES384)")
        algorithm = "ES384"
    else:
        raise KeysInvalid("keys are RSA (RS384) or EC P-384 (ES384)")
    try:
        loaded = jwt.PyJWK(key, algorithm)
    except jwt.PyJWTError as exc:
        raise KeysInvalid(f"a key cannot be read: {exc}") from None
    if isinstance(loaded.key, rsa.RSAPublicKey) and loaded.key.key_size < RSA_MIN_BITS:
        raise KeysInvalid(f"an RSA key must have at least {RSA_MIN_BITS} bits")
    return loaded


def load_jwks(text: str) -> list[jwt.PyJWK]:
    """The usable public keys of a JWKS document; ``KeysInvalid`` says what is wrong."""
    if len(text) > MAX_JWKS_CHARS:
        raise KeysInvalid(f"at most {MAX_JWKS_CHARS} characters")
    try:
        document = json.loads(text)
    except ValueError:
        raise KeysInvalid('not JSON: paste the JWKS document, {"keys": [...]}') from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys:
        raise KeysInvalid('a JWKS document has a non-empty "keys" list')
    if len(keys) > MAX_KEYS:
        raise KeysInvalid(f"at most {MAX_KEYS} keys")
    return [_usable(k) for k in keys]


def issuer_of(assertion: str) -> str:
    """The client the assertion claims to come from, before anything is checked."""
    if len(assertion) > MAX_ASSERTION_CHARS:
        raise invalid_request("client_assertion is too long")
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise invalid_client("client_assertion is not a JWT") from None
    if header.get("alg") not in ALGORITHMS:
        raise invalid_client("client_assertion must be signed with RS384 or ES384")
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not iss or iss != sub:
        raise invalid_client("client_assertion's iss and sub must both be the client id")
    return iss


@dataclass(frozen=True)
class Assertion:
    client_id: str
    jti: str
    expires_at: datetime


def _instant(claims: dict[str, Any], name: str) -> datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_client(f"client_assertion's {name} must be a number of seconds")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise invalid_client(f"client_assertion's {name} is out of range") from None


def _keys_for(keys: list[jwt.PyJWK], alg: str, kid: str | None) -> list[jwt.PyJWK]:
    fitting = [k for k in keys if k.algorithm_name == alg]
    if kid is not None:
        fitting = [k for k in fitting if k.key_id == kid]
    return fitting


def _signed(assertion: str, keys: list[jwt.PyJWK], alg: str, audience: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "verify_exp": False,  # checked below with our clock
        "verify_nbf": False,
        "verify_iat": False,
        "require": ["iss", "sub", "aud", "exp", "jti"],
    }
    failure: OAuthError = invalid_client("client_assertion is not signed by a registered key")
    for key in keys:
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                key.key,
                algorithms=[alg],
                audience=audience,
                options=options,  # type: ignore[arg-type]
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidAudienceError:
            failure = invalid_client(f"client_assertion's aud must be {audience}")
            break
        except jwt.MissingRequiredClaimError as exc:
            failure = invalid_client(f"client_assertion has no {exc.claim}")
            break
        except jwt.PyJWTError as exc:
            failure = invalid_client(f"client_assertion refused: {exc}")
            break
        return claims
    raise failure


def verify(assertion: str, jwks: str, *, audience: str, now: datetime) -> Assertion:
    """The checked assertion, or ``OAuthError`` invalid_client naming the reason."""
    client_id = issuer_of(assertion)
    header = jwt.get_unverified_header(assertion)
    alg = str(header["alg"])
    kid = header.get("kid")
    try:
        keys = _keys_for(load_jwks(jwks), alg, kid if isinstance(kid, str) else None)
    except KeysInvalid:
        keys = []
    if not keys:
        raise invalid_client(f"no registered {alg} key" + (f" with kid {kid}" if kid else ""))
    claims = _signed(assertion, keys, alg, audience)
    expires_at = _instant(claims, "exp")
    assert expires_at is not None  # required above
    if expires_at <= now:
        raise invalid_client("client_assertion has expired")
    if expires_at > now + MAX_LIFETIME + CLOCK_SKEW:
        raise invalid_client("client_assertion's exp is more than five minutes ahead")
    for name in ("nbf", "iat"):
        at = _instant(claims, name)
        if at is not None and at > now + CLOCK_SKEW:
            raise invalid_client(f"client_assertion's {name} is in the future")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise invalid_client("client_assertion's jti must be 1 to 255 characters")
    return Assertion(client_id=client_id, jti=jti, expires_at=expires_at)
