"""The one list envelope: every list endpoint answers items, total, page and
page_size; paging is honoured; a query parameter an operation does not take is
refused with 422 naming it, never ignored."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ketaclinic.kit.pagination import MAX_PAGE_SIZE
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]
ENVELOPE = {"items", "total", "page", "page_size"}


def _register(client: TestClient, n: int) -> None:
    for i in range(n):
        body = {
            "given_name": f"Ada{chr(97 + i)}",
            "family_name": "Pagetest",
            "birth_date": f"1980-01-{2 + i:02d}",  # distinct people, not likely duplicates
            "sex_at_birth": "female",
        }
        assert client.post("/api/v1/patients", json=body).status_code == 201


def test_it_pages_a_list_and_counts_every_match(api: Api, front_desk: Persona) -> None:
    desk = api(front_desk)
    _register(desk, 3)
    first = desk.get("/api/v1/patients", params={"q": "Pagetest", "page_size": 2}).json()
    second = desk.get(
        "/api/v1/patients", params={"q": "Pagetest", "page_size": 2, "page": 2}
    ).json()
    assert set(first) == ENVELOPE and (first["total"], first["page_size"]) == (3, 2)
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["page"] == 2
    names = {p["given_name"] for p in first["items"] + second["items"]}
    assert names == {"Adaa", "Adab", "Adac"}


def test_it_refuses_a_paging_parameter_it_does_not_take(api: Api, front_desk: Persona) -> None:
    refused = api(front_desk).get("/api/v1/patients", params={"limit": 2})
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) == {"limit"}
    too_big = api(front_desk).get("/api/v1/patients", params={"page_size": MAX_PAGE_SIZE + 1})
    assert too_big.status_code == 422 and "page_size" in too_big.json()["error"]["fields"]


def test_it_answers_every_list_in_the_one_envelope(app: FastAPI) -> None:
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    lists = 0
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None or not path.startswith("/api/v1/"):
            continue
        answer = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer.get("type") != "array", path  # no bare arrays
        ref = answer.get("$ref", "").rsplit("/", 1)[-1]
        properties = set(schemas.get(ref, {}).get("properties", {}))
        if "items" in properties:
            lists += 1
            assert properties >= ENVELOPE, path
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            assert {"page", "page_size"} <= params, path
    assert lists >= 29
