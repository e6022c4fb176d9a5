"""A search that names no patient pages in SQL, by row id: a page never holds more
than ``_count`` entries, reads ``_count`` + 1 rows (not the clinic's), and the next
links walk the whole result exactly once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event

from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]
NAMES = ["Ada", "Bea", "Cai", "Dov", "Eli", "Fay", "Gus", "Hal", "Ivo"]


@pytest.fixture
def registered(api: Api, front_desk: Persona) -> list[int]:
    """Nine patients, the first six female; each with one F33.2 diagnosis."""
    client = api(front_desk)
    ids = []
    for i, given in enumerate(NAMES):
        sex = "female" if i < 6 else "male"
        body = valid_patient(given_name=given, family_name="Paging", sex_at_birth=sex)
        pid = client.post("/api/v1/patients", json=body).json()["id"]
        client.post(f"/api/v1/patients/{pid}/diagnoses", json={"code": "F33.2", "label": "MDD"})
        ids.append(pid)
    return ids


def _walk(client: TestClient, url: str, count: int) -> Iterator[dict[str, Any]]:
    next_url: str | None = url
    while next_url:
        bundle = client.get(next_url).json()
        assert bundle["resourceType"] == "Bundle", bundle
        assert len(bundle["entry"]) <= count
        yield bundle
        next_url = next((x["url"] for x in bundle["link"] if x["relation"] == "next"), None)


def _ids(bundles: list[dict[str, Any]]) -> list[str]:
    return [e["resource"]["id"] for b in bundles for e in b["entry"]]


@pytest.mark.parametrize("count", [1, 2, 4, 9, 50])
def test_it_walks_every_patient_once_in_pages_of_at_most_count(
    api: Api, nurse: Persona, registered: list[int], count: int
) -> None:
    pages = list(_walk(api(nurse), f"/fhir/Patient?_count={count}", count))
    assert _ids(pages) == [str(i) for i in registered]
    assert len(pages) == -(-len(registered) // count)
    if count >= len(registered):  # the whole result on one page: its total is known
        assert pages[0]["total"] == len(registered)


def test_it_pages_a_search_matched_on_the_resource(
    api: Api, nurse: Persona, registered: list[int]
) -> None:
    pages = list(_walk(api(nurse), "/fhir/Patient?gender=female&_count=4", 4))
    assert _ids(pages) == [str(i) for i in registered[:6]]
    assert [len(p["entry"]) for p in pages] == [4, 2]
    assert "_after=" in next(x["url"] for x in pages[0]["link"] if x["relation"] == "next")


def test_it_pages_a_patient_s_children_across_the_clinic(
    api: Api, nurse: Persona, registered: list[int]
) -> None:
    pages = list(_walk(api(nurse), "/fhir/Condition?code=F33.2&_count=2", 2))
    subjects = [e["resource"]["subject"]["reference"] for p in pages for e in p["entry"]]
    assert subjects == [f"Patient/{i}" for i in registered]


def test_it_counts_the_total_when_asked(api: Api, nurse: Persona, registered: list[int]) -> None:
    client = api(nurse)
    first = client.get("/fhir/Patient?_count=2").json()
    assert "total" not in first  # not known without reading on
    assert client.get("/fhir/Patient?_count=2&_total=accurate").json()["total"] == 9
    assert client.get("/fhir/Patient?gender=male&_count=0").json()["total"] == 3
    assert "total" not in client.get("/fhir/Patient?_count=50&_total=none").json()


def test_it_reads_count_plus_one_rows_not_the_clinic_s(
    api: Api, nurse: Persona, registered: list[int], connection: Connection
) -> None:
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", seen)
    try:
        bundle = api(nurse).get("/fhir/Patient?_count=3").json()
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    [(query, parameters)] = [(s, p) for s, p in statements if "FROM patients" in s]
    assert "LIMIT" in query
    bound = list(parameters.values()) if isinstance(parameters, dict) else list(parameters)
    assert 4 in bound[-2:]  # LIMIT _count + 1 (SQLite adds OFFSET 0): is there a next page
    assert len(bundle["entry"]) == 3
    next_url = next(x["url"] for x in bundle["link"] if x["relation"] == "next")
    assert parse_qs(urlsplit(next_url).query)["_after"] == [str(registered[2])]


def test_it_refuses_more_than_the_largest_page(api: Api, nurse: Persona) -> None:
    response = api(nurse).get("/fhir/Patient?_count=201")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_count"]
    assert api(nurse).get("/fhir/Patient?_count=200").status_code == 200


def test_it_refuses_a_cursor_on_a_search_that_names_the_patient(
    api: Api, nurse: Persona, registered: list[int]
) -> None:
    response = api(nurse).get(f"/fhir/Condition?patient={registered[0]}&_after=1")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_after"]
