"""The FHIR endpoint over the JSON API's own records: read, search, paging, errors as
OperationOutcome, clinic isolation, roles and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.fhir.search import RESOURCE_TYPES
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]
FHIR_JSON = "application/fhir+json"


@pytest.fixture
def chart(api: Api, front_desk: Persona) -> dict[str, Any]:
    """Maya's chart: two diagnoses, a medication, an allergy, two PHQ-9s."""
    client = api(front_desk)
    patient = client.post("/api/v1/patients", json=valid_patient()).json()
    base = f"/api/v1/patients/{patient['id']}"
    client.post(f"{base}/diagnoses", json={"code": "F33.2", "label": "Major depression"})
    client.post(f"{base}/diagnoses", json={"code": "F41.1", "label": "Generalized anxiety"})
    client.post(f"{base}/medications", json={"name": "Sertraline", "dose": "100 mg"})
    client.post(f"{base}/allergies", json={"substance": "Latex", "reaction": "Rash"})
    for value in (2, 1):
        answers = {f"phq9_{i}": value for i in range(1, 10)} | {"phq9_9": 0}
        client.post(f"{base}/responses", json={"instrument_id": "phq9", "answers": answers})
    return patient


def test_it_states_exactly_what_it_supports(client: TestClient) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    [rest] = body["rest"]
    types = [r["type"] for r in rest["resource"]]
    assert types == [*RESOURCE_TYPES, "Group"]  # a Group only for its $export
    for entry in rest["resource"][:-1]:
        assert [i["code"] for i in entry["interaction"]] == ["read", "search-type"]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    names = {p["name"] for p in patient["searchParam"]}
    assert {"_id", "identifier", "name", "birthdate", "gender", "_count"} <= names


def test_it_reads_and_searches_a_patient_s_chart(
    api: Api, nurse: Persona, chart: dict[str, Any]
) -> None:
    client = api(nurse)
    pid = chart["id"]
    patient = client.get(f"/fhir/Patient/{pid}")
    assert patient.status_code == 200 and patient.headers["content-type"].startswith(FHIR_JSON)
    assert patient.json()["name"][0]["family"] == "Lindqvist"
    conditions = client.get(f"/fhir/Condition?patient={pid}").json()
    assert conditions["total"] == 2
    codes = sorted(e["resource"]["code"]["coding"][0]["code"] for e in conditions["entry"])
    assert codes == ["F33.2", "F41.1"]
    scores = client.get(f"/fhir/Observation?patient={pid}&code=http://loinc.org|44261-6").json()
    assert sorted(e["resource"]["valueQuantity"]["value"] for e in scores["entry"]) == [8, 16]
    item9 = client.get(f"/fhir/Observation?patient=Patient/{pid}&code=44260-8").json()
    assert [e["resource"]["valueQuantity"]["value"] for e in item9["entry"]] == [0, 0]
    vitals = client.get(f"/fhir/Observation?patient={pid}&category=vital-signs").json()
    assert {e["resource"]["id"].split("-")[0] for e in vitals["entry"]} == {"weight", "height"}
    answers = client.get(f"/fhir/QuestionnaireResponse?patient={pid}").json()
    assert answers["total"] == 2
    assert client.get(f"/fhir/MedicationStatement?patient={pid}").json()["total"] == 1
    assert client.get(f"/fhir/AllergyIntolerance?patient={pid}").json()["total"] == 1
    found = client.get("/fhir/Patient?name=lindq&birthdate=1984-03-21").json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(pid)]
    assert client.get("/fhir/Patient?gender=male&name=lindq").json()["total"] == 0


def test_it_pages_through_bundle_next_links(
    api: Api, nurse: Persona, chart: dict[str, Any]
) -> None:
    client = api(nurse)
    url: str | None = f"/fhir/Observation?patient={chart['id']}&_count=2"
    seen: list[str] = []
    totals = set()
    while url:
        bundle = client.get(url).json()
        totals.add(bundle["total"])
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    [total] = totals
    assert len(seen) == len(set(seen)) == total == 6  # weight, height, twice a score and item 9


def test_it_names_an_unknown_parameter_in_a_400_operation_outcome(api: Api, nurse: Persona) -> None:
    response = api(nurse).get("/fhir/Patient?nickname=May")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(FHIR_JSON)
    [issue] = response.json()["issue"]
    assert issue["code"] == "invalid" and "nickname" in issue["diagnostics"]
    assert issue["expression"] == ["nickname"]
    bad = api(nurse).get("/fhir/Observation?patient=1&date=last-week")
    assert bad.status_code == 400 and bad.json()["issue"][0]["expression"] == ["date"]
    assert api(nurse).get("/fhir/Observation").status_code == 400  # names no patient
    assert api(nurse).get("/fhir/Patient?_count=1000").status_code == 400


def test_it_hides_another_clinic_s_records(
    api: Api, outsider: Persona, chart: dict[str, Any]
) -> None:
    client = api(outsider)
    pid = chart["id"]
    response = client.get(f"/fhir/Patient/{pid}")
    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"
    assert client.get(f"/fhir/Condition?patient={pid}").json()["total"] == 0
    assert client.get(f"/fhir/Patient?_id={pid}").json()["total"] == 0


def test_it_refuses_the_unauthenticated_and_roles_without_charts(
    client: TestClient, api: Api, custodian: Persona
) -> None:
    response = client.get("/fhir/Patient")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.json()["issue"][0]["code"] == "login"
    refused = api(custodian).get("/fhir/Patient")
    assert refused.status_code == 403 and refused.json()["issue"][0]["code"] == "forbidden"


def test_it_puts_every_patient_read_on_the_audit_trail(
    api: Api, nurse: Persona, chart: dict[str, Any], db: Session
) -> None:
    client = api(nurse)
    pid = chart["id"]
    client.get(f"/fhir/Patient/{pid}")
    client.get(f"/fhir/Condition?patient={pid}")
    stmt = (
        select(AuditEvent.action, AuditEvent.resource_type, AuditEvent.user_id)
        .where(AuditEvent.patient_id == pid, AuditEvent.action.like("fhir.%"))
        .order_by(AuditEvent.id)
    )
    assert list(db.execute(stmt)) == [
        ("fhir.read", "Patient", nurse.user.id),
        ("fhir.search", "Condition", nurse.user.id),
    ]


def test_it_filters_by_last_update(api: Api, nurse: Persona, chart: dict[str, Any]) -> None:
    client = api(nurse)
    pid = chart["id"]
    assert (
        client.get(f"/fhir/Condition?patient={pid}&_lastUpdated=ge2000-01-01").json()["total"] == 2
    )
    assert (
        client.get(f"/fhir/Condition?patient={pid}&_lastUpdated=lt2000-01-01").json()["total"] == 0
    )


def test_it_reads_back_every_resource_a_search_finds(
    api: Api, nurse: Persona, chart: dict[str, Any]
) -> None:
    client = api(nurse)
    pid = chart["id"]
    for name in ("Observation", "Condition", "QuestionnaireResponse", "AllergyIntolerance"):
        for entry in client.get(f"/fhir/{name}?patient={pid}").json()["entry"]:
            read = client.get(f"/fhir/{name}/{entry['resource']['id']}")
            assert read.status_code == 200 and read.json() == entry["resource"]
    questionnaire = client.get("/fhir/Questionnaire/phq9")
    assert questionnaire.json()["url"].endswith("/Questionnaire/phq9")


def test_it_answers_what_it_does_not_serve_as_an_operation_outcome(
    api: Api, nurse: Persona
) -> None:
    client = api(nurse)
    unknown = client.get("/fhir/Medication")
    assert unknown.status_code == 404 and unknown.json()["resourceType"] == "OperationOutcome"
    write = client.post("/fhir/Patient", json={"resourceType": "Patient"})
    assert write.status_code == 405 and write.json()["issue"][0]["code"] == "not-supported"
    assert client.get("/fhir/Patient?_format=xml").status_code == 400
    assert client.get("/fhir/Observation/bp-x").status_code == 404
