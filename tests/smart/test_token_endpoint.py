"""SMART Backend Services' token endpoint with real RS384 and ES384 keys: a signed
assertion for a short-lived access token, and every refusal in OAuth's shape
(issue 22 point 3)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import jwt
import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.kit.time import shifted_clock, utcnow
from ketaclinic.smart.models import SmartAccessToken, SmartClient
from ketaclinic.smart.service import clients
from tests.conftest import Persona
from tests.smart.conftest import Keys, Register, assertion, ec_keys, rsa_keys, token_form

TOKEN = "/fhir/auth/token"


def _events(db: Session, client: SmartClient) -> list[tuple[str, str, str]]:
    db.expire_all()
    stmt = (
        select(AuditEvent.action, AuditEvent.outcome, AuditEvent.actor)
        .where(AuditEvent.resource_type == "fhir_client")
        .where(AuditEvent.resource_id == str(client.id))
        .order_by(AuditEvent.id)
    )
    return [(a, o, who) for a, o, who in db.execute(stmt).all()]


@pytest.mark.parametrize("make_keys", [rsa_keys, ec_keys], ids=["RS384", "ES384"])
def test_it_gives_an_access_token_for_a_signed_assertion(
    client: TestClient, db: Session, register: Register, make_keys: type[Keys]
) -> None:
    keys = make_keys()
    registered = register(keys)
    answer = client.post(TOKEN, data=token_form(assertion(registered, keys)))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/*.rs"
    assert answer.headers["cache-control"] == "no-store"
    rows = db.scalars(
        select(SmartAccessToken).where(SmartAccessToken.client_id == registered.id)
    ).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(body["access_token"].encode()).hexdigest()
    assert body["access_token"] not in rows[0].token_hash
    actions = _events(db, registered)
    assert actions[-1] == ("fhir_client.token_issued", "allowed", f"fhir-client:{registered.id}")
    introspect = client.get(
        "/fhir/auth/introspect", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert introspect.status_code == 200, introspect.text
    assert introspect.json()["actor"] == f"fhir-client:{registered.id}"
    assert introspect.json()["roles"] == ["nurse"]
    assert introspect.json()["clinic_ids"] == [registered.clinic_id]


def test_it_picks_the_key_the_assertion_names(client: TestClient, register: Register) -> None:
    rsa, ec = rsa_keys("old"), ec_keys("new")
    registered = register(rsa, ec)
    for keys in (rsa, ec):
        answer = client.post(TOKEN, data=token_form(assertion(registered, keys)))
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("alg", ["HS256", "none", "RS256"])
def test_it_refuses_an_algorithm_other_than_rs384_or_es384(
    client: TestClient, register: Register, alg: str
) -> None:
    keys = rsa_keys()
    registered = register(keys)
    claims = {
        "iss": registered.client_id,
        "sub": registered.client_id,
        "aud": "http://127.0.0.1:8000/fhir/auth/token",
        "exp": int((utcnow() + timedelta(minutes=4)).timestamp()),
        "jti": "once-" + alg,
    }
    if alg == "RS256":
        signed = jwt.encode(claims, keys.private, algorithm="RS256")
    elif alg == "HS256":  # the public key's text as an HMAC secret: the classic confusion
        signed = jwt.encode(claims, "a-shared-secret-of-enough-length-32b", algorithm="HS256")
    else:
        signed = jwt.encode(claims, None, algorithm="none")
    answer = client.post(TOKEN, data=token_form(signed))
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert "RS384 or ES384" in answer.json()["error_description"]


def test_it_refuses_a_signature_by_an_unregistered_key(
    client: TestClient, register: Register
) -> None:
    registered = register(rsa_keys("rsa-1"))
    stranger = rsa_keys("rsa-1")  # same kid, another key
    answer = client.post(TOKEN, data=token_form(assertion(registered, stranger)))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_it_refuses_an_expired_assertion(
    client: TestClient, db: Session, register: Register
) -> None:
    keys = rsa_keys()
    registered = register(keys)
    expired = int((utcnow() - timedelta(seconds=5)).timestamp())
    answer = client.post(TOKEN, data=token_form(assertion(registered, keys, exp=expired)))
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "invalid_client",
        "error_description": "client_assertion has expired",
    }
    assert _events(db, registered)[-1][:2] == ("fhir_client.token_refused", "denied")


def test_it_refuses_an_assertion_that_lives_longer_than_five_minutes(
    client: TestClient, register: Register
) -> None:
    keys = rsa_keys()
    registered = register(keys)
    late = int((utcnow() + timedelta(minutes=10)).timestamp())
    answer = client.post(TOKEN, data=token_form(assertion(registered, keys, exp=late)))
    assert answer.status_code == 401
    assert "five minutes" in answer.json()["error_description"]


def test_it_refuses_a_replayed_assertion(client: TestClient, register: Register) -> None:
    keys = ec_keys()
    registered = register(keys)
    signed = assertion(registered, keys, jti="the-same-jti")
    assert client.post(TOKEN, data=token_form(signed)).status_code == 200
    again = client.post(TOKEN, data=token_form(signed))
    assert again.status_code == 401
    assert "used before" in again.json()["error_description"]
    # a new assertion with the same jti is the same replay
    other = assertion(registered, keys, jti="the-same-jti")
    assert client.post(TOKEN, data=token_form(other)).status_code == 401


def test_it_refuses_an_assertion_for_another_audience(
    client: TestClient, register: Register
) -> None:
    keys = rsa_keys()
    registered = register(keys)
    wrong = assertion(registered, keys, aud="https://elsewhere.example.org/token")
    answer = client.post(TOKEN, data=token_form(wrong))
    assert answer.status_code == 401
    assert "aud must be http://127.0.0.1:8000/fhir/auth/token" in answer.json()["error_description"]


def test_it_refuses_an_assertion_whose_iss_is_not_its_sub(
    client: TestClient, register: Register
) -> None:
    keys = rsa_keys()
    registered = register(keys)
    answer = client.post(TOKEN, data=token_form(assertion(registered, keys, sub="someone")))
    assert answer.status_code == 401 and "iss and sub" in answer.json()["error_description"]
    no_jti = client.post(TOKEN, data=token_form(assertion(registered, keys, jti=None)))
    assert no_jti.status_code == 401 and "jti" in no_jti.json()["error_description"]


def test_it_refuses_a_revoked_client_and_its_tokens(
    client: TestClient, db: Session, admin: Persona, register: Register
) -> None:
    keys = rsa_keys()
    registered = register(keys)
    token = client.post(TOKEN, data=token_form(assertion(registered, keys))).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/fhir/auth/introspect", headers=bearer).status_code == 200
    clients.revoke(db, principal_for(db, admin.user), registered.id)
    db.commit()
    answer = client.post(TOKEN, data=token_form(assertion(registered, keys)))
    assert answer.status_code == 401
    assert answer.json()["error_description"] == "the client was revoked"
    assert client.get("/fhir/auth/introspect", headers=bearer).status_code == 401


def test_it_refuses_an_unknown_client(client: TestClient, register: Register) -> None:
    keys = rsa_keys()
    registered = register(keys)
    answer = client.post(TOKEN, data=token_form(assertion(registered, keys, iss="x", sub="x")))
    assert answer.status_code == 401
    assert answer.json()["error_description"] == "the client is not registered"


def test_it_grants_only_scopes_both_asked_for_and_allowed(
    client: TestClient, register: Register
) -> None:
    keys = rsa_keys()
    registered = register(keys, scopes="system/Patient.rs system/Observation.rs")
    narrow = client.post(
        TOKEN, data=token_form(assertion(registered, keys), "system/*.cruds openid")
    )
    assert narrow.status_code == 200, narrow.text
    assert narrow.json()["scope"] == "system/Patient.rs system/Observation.rs"
    read_only = client.post(
        TOKEN, data=token_form(assertion(registered, keys), "system/Patient.read")
    )
    assert read_only.json()["scope"] == "system/Patient.rs"
    none = client.post(TOKEN, data=token_form(assertion(registered, keys), "system/Encounter.rs"))
    assert none.status_code == 400 and none.json()["error"] == "invalid_scope"
    user = client.post(TOKEN, data=token_form(assertion(registered, keys), "user/Patient.rs"))
    assert user.status_code == 400 and user.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("grant_type", "password", "unsupported_grant_type"),
        ("client_assertion_type", "urn:other", "invalid_request"),
        ("client_assertion", "", "invalid_request"),
        ("client_assertion", "not-a-jwt", "invalid_client"),
        ("scope", "", "invalid_scope"),
    ],
)
def test_it_answers_a_malformed_request_in_oauths_shape(
    client: TestClient, register: Register, field: str, value: str, error: str
) -> None:
    keys = rsa_keys()
    registered = register(keys)
    form = token_form(assertion(registered, keys)) | {field: value}
    answer = client.post(TOKEN, data=form)
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == error


def test_it_describes_itself_at_both_well_known_addresses(client: TestClient) -> None:
    for path in ("/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"):
        config = client.get(path).json()
        assert config["token_endpoint"] == "http://127.0.0.1:8000/fhir/auth/token"
        assert config["grant_types_supported"] == ["client_credentials"]
        assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
        assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
        assert "system/*.rs" in config["scopes_supported"]
        assert {"client-confidential-asymmetric", "permission-v2"} <= set(config["capabilities"])


def test_it_stops_an_access_token_after_five_minutes(
    client: TestClient, register: Register
) -> None:
    keys = ec_keys()
    registered = register(keys)
    token = client.post(TOKEN, data=token_form(assertion(registered, keys))).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    with time_machine.travel(utcnow() + timedelta(seconds=299), tick=False):
        assert client.get("/fhir/auth/introspect", headers=bearer).status_code == 200
    with time_machine.travel(utcnow() + timedelta(seconds=301), tick=False):
        assert client.get("/fhir/auth/introspect", headers=bearer).status_code == 401


def test_it_checks_the_assertion_by_the_real_time_on_a_shifted_clock(
    client: TestClient, register: Register
) -> None:
    """The demo runs days behind the wall clock; a client signs by its own, real clock.
    Its assertion passes, and one stamped with the demo's time has expired."""
    keys = rsa_keys()
    registered = register(keys)
    real_exp = int((utcnow() + timedelta(minutes=4)).timestamp())
    with shifted_clock(timedelta(hours=-57)):
        demo_exp = int((utcnow() + timedelta(minutes=4)).timestamp())
        by_demo = client.post(TOKEN, data=token_form(assertion(registered, keys, exp=demo_exp)))
        by_real = client.post(TOKEN, data=token_form(assertion(registered, keys, exp=real_exp)))
    assert by_demo.status_code == 401
    assert by_demo.json()["error_description"] == "client_assertion has expired"
    assert by_real.status_code == 200, by_real.text
