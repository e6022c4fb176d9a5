"""No input costs a 500 or the server's memory: ids out of any column's range, text
with NUL, bodies over the limit, and anything unexpected answers in our envelope."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from starlette.types import Message

from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit.fields import MAX_ID, in_id_range
from ketaclinic.kit.limits import control_character_field
from tests.conftest import Persona
from tests.kit.test_concurrency import in_a_loop_of_its_own
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]
TOO_BIG = [str(MAX_ID + 1), "9223372036854775808", "0", "-1", "1e3", "abc"]


@pytest.mark.parametrize("value", TOO_BIG)
def test_it_answers_404_for_a_path_id_no_record_can_have(
    api: Api, admin: Persona, value: str
) -> None:
    response = api(admin).get(f"/api/v1/patients/{value}")
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


def test_it_refuses_a_role_before_it_looks_at_an_impossible_id(
    api: Api, custodian: Persona
) -> None:
    assert api(custodian).get(f"/api/v1/patients/{MAX_ID + 1}").status_code == 403


def test_it_names_a_query_or_body_id_out_of_range(api: Api, nurse: Persona) -> None:
    stock = api(nurse).get("/api/v1/ledger/stock", params={"location_id": MAX_ID + 1})
    assert stock.status_code == 422 and "location_id" in stock.json()["error"]["fields"]
    body = {"container_id": 2**63, "patient_id": 1, "amount_mg": 5}
    draw = api(nurse).post("/api/v1/ledger/draws", json=body)
    assert draw.status_code == 422 and "container_id" in draw.json()["error"]["fields"]


def test_it_refuses_nul_and_control_characters_naming_the_field(
    api: Api, front_desk: Persona
) -> None:
    search = api(front_desk).get("/api/v1/patients", params={"q": "ab\x00cd"})
    assert search.status_code == 422
    assert search.json()["error"]["fields"] == {"q": "must not contain control characters"}
    body = valid_patient(given_name="Ma\x00ya", contacts=[{"name": "Esc\x1bort", "phone": "x"}])
    created = api(front_desk).post("/api/v1/patients", json=body)
    assert created.status_code == 422
    fields = created.json()["error"]["fields"]
    assert fields == {"given_name": "must not contain control characters"}
    # Line breaks and tabs are text, not control: a note keeps its paragraphs.
    note = b'{"note": "one\\r\\ntwo\\tthree"}'
    assert control_character_field(b"", note, "application/json") is None


def test_it_refuses_a_control_character_in_a_form_with_the_page(client: TestClient) -> None:
    page = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "must not contain control characters" in page.text


def test_it_answers_413_before_reading_a_body_over_the_limit(
    client: TestClient, api: Api, front_desk: Persona
) -> None:
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    declared = client.post(
        "/api/v1/patients", content=big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "body_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b" " * 65536

    streamed = api(front_desk).post(
        "/api/v1/patients", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_it_refuses_an_anonymous_api_write_without_reading_its_body(
    app: FastAPI, db: Session
) -> None:
    """No credentials: 401 from the route, recorded, and not one body byte read."""
    sent: list[Message] = []
    reads = 0

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"[" * 500_000, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/patients",
        "raw_path": b"/api/v1/patients",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "root_path": "",
        "app": app,
        "state": {},
    }
    in_a_loop_of_its_own(app(scope, receive, send))
    assert sent[0]["status"] == 401 and reads == 0
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["error"]["code"] == "not_authenticated"
    refused = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()
    assert refused == "access.unauthenticated"


def test_it_answers_414_for_a_query_string_over_the_limit(api: Api, front_desk: Persona) -> None:
    response = api(front_desk).get("/api/v1/patients", params={"q": "x" * 9000})
    assert response.status_code == 414
    assert response.json()["error"]["code"] == "query_too_long"
    assert api(front_desk).get("/api/v1/patients", params={"q": "x" * 100}).status_code == 200


def test_it_answers_an_unexpected_failure_in_the_envelope_with_a_request_id(
    app: FastAPI, admin: Persona, db: Session
) -> None:
    # A real failure, not a mock: the table is gone (inside the test's transaction).
    db.execute(text("ALTER TABLE patients RENAME TO patients_gone"))
    headers = {"Authorization": f"Bearer {admin.token}", "X-Request-ID": "req-4711"}
    with TestClient(app, raise_server_exceptions=False, headers=headers) as client:
        response = client.get("/api/v1/patients")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == "req-4711"
    assert "req-4711" in error["message"]


@given(st.one_of(st.integers(), st.text(max_size=25)))
def test_it_takes_an_id_only_inside_the_column_range(value: int | str) -> None:
    found = in_id_range(value)
    if found is not None:
        assert 1 <= found <= MAX_ID and str(found) == str(value).lstrip("0")


def test_it_names_the_allowed_methods_on_a_405(api: Api, admin: Persona) -> None:
    response = api(admin).patch("/api/v1/patients", json={})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    # Every method on the path, not only the first route's that partly matched.
    allowed = set(response.headers["Allow"].replace(" ", "").split(","))
    assert allowed == {"GET", "POST"}


def test_it_refuses_json_nested_too_deeply_to_walk(api: Api, front_desk: Persona) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = api(front_desk).post(
        "/api/v1/patients", content=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"body": "is nested too deeply"}
