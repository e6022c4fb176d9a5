"""The client's keys and assertion as PyJWT checks them: only public RSA (2048 bits
or more) and EC P-384 keys are registered; any text as an assertion is refused in
OAuth's words, never an exception of another kind."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from ketaclinic.kit.time import utcnow
from ketaclinic.smart.assertion import KeysInvalid, issuer_of, load_jwks, verify
from ketaclinic.smart.errors import OAuthError
from tests.smart.conftest import TOKEN_URL, Keys, ec_keys, jwks_of, rsa_keys

_P256 = ec.generate_private_key(ec.SECP256R1())
_WEAK = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - refused


def _jwks(key: dict[str, object]) -> str:
    return json.dumps({"keys": [key]})


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ("not json", "not JSON"),
        ('{"keys": []}', "non-empty"),
        (_jwks(ECAlgorithm.to_jwk(_P256.public_key(), as_dict=True)), "P-384"),
        (_jwks(RSAAlgorithm.to_jwk(_WEAK.public_key(), as_dict=True)), "at least 2048 bits"),
        (_jwks(RSAAlgorithm.to_jwk(rsa_keys().private, as_dict=True)), "private"),
        (_jwks({"kty": "RSA", "alg": "RS256", "n": "x", "e": "AQAB"}), "only RS384 and ES384"),
    ],
)
def test_it_refuses_keys_it_cannot_use_naming_why(document: str, words: str) -> None:
    with pytest.raises(KeysInvalid, match=words):
        load_jwks(document)


def test_it_loads_rsa_and_ec_public_keys() -> None:
    keys = load_jwks(jwks_of(rsa_keys("a"), ec_keys("b")))
    assert [(k.key_id, k.algorithm_name) for k in keys] == [("a", "RS384"), ("b", "ES384")]


@given(st.text(max_size=300))
def test_it_refuses_any_text_as_an_assertion_in_oauths_words(text: str) -> None:
    with pytest.raises(OAuthError) as refused:
        verify(text, jwks_of(_KEYS), audience=TOKEN_URL, now=utcnow())
    assert refused.value.error in ("invalid_client", "invalid_request")


_KEYS: Keys = ec_keys()


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_it_refuses_an_assertion_from_the_future(claim: str) -> None:
    now = utcnow()
    body = {
        "iss": "c",
        "sub": "c",
        "aud": TOKEN_URL,
        "exp": int((now + timedelta(minutes=4)).timestamp()),
        "jti": "j",
        claim: int((now + timedelta(minutes=3)).timestamp()),
    }
    signed = jwt.encode(body, _KEYS.private, algorithm="ES384", headers={"kid": _KEYS.kid})
    assert issuer_of(signed) == "c"
    with pytest.raises(OAuthError, match=f"{claim} is in the future"):
        verify(signed, jwks_of(_KEYS), audience=TOKEN_URL, now=now)
