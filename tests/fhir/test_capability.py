"""The CapabilityStatement states exactly what the server does: every search
parameter it declares is served (a 200 searchset), one it does not declare is refused
(a 400 OperationOutcome naming it), and the bulk-export operations and the SMART
security it declares are the ones served."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ketaclinic.fhir.search import RESOURCE_TYPES, RESULT_PARAMS, params_of
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]
BULK = "http://hl7.org/fhir/uv/bulkdata"
# A value of each search parameter type that the parameter must accept.
SAMPLE = {
    "token": "active",
    "reference": "Patient/1",
    "date": "ge2020-01-01",
    "string": "ma",
    "uri": "http://example.org/Questionnaire/q",
    "number": "5",
}
VALUES = {"_id": "1", "_total": "accurate", "_format": "application/fhir+json", "_offset": "1"}
# Not ours to compose: the next link carries it (the cursor of a search by row id).
LINK_ONLY = {"_after"}


@pytest.fixture
def statement(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/fhir/metadata").json()
    return body


def _declared(statement: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    [rest] = statement["rest"]
    return {r["type"]: r.get("searchParam", []) for r in rest["resource"]}


def test_it_declares_every_parameter_it_takes_and_no_other(statement: dict[str, Any]) -> None:
    declared = _declared(statement)
    for name in RESOURCE_TYPES:
        taken = {*params_of(name), *RESULT_PARAMS, "_format"} - LINK_ONLY
        assert {p["name"] for p in declared[name]} == taken, name


def test_it_serves_every_declared_search_parameter(
    api: Api, nurse: Persona, front_desk: Persona, statement: dict[str, Any]
) -> None:
    pid = api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"]
    client = api(nurse)
    for name, params in _declared(statement).items():
        # Observation is searched for one patient (the statement says so).
        base = [("patient", str(pid))] if name == "Observation" else []
        for param in params:
            value = VALUES.get(param["name"], SAMPLE[param["type"]])
            response = client.get(f"/fhir/{name}", params=[*base, (param["name"], value)])
            assert response.status_code == 200, (name, param["name"], response.text)
            assert response.json()["resourceType"] == "Bundle", (name, param["name"])


@pytest.mark.parametrize(
    "param", ["_sort", "_include", "_revinclude", "_summary", "_elements", "name:exact", "nickname"]
)
def test_it_refuses_a_parameter_it_does_not_declare(api: Api, nurse: Persona, param: str) -> None:
    response = api(nurse).get("/fhir/Patient", params={param: "x"})
    assert response.status_code == 400
    [issue] = response.json()["issue"]
    assert response.json()["resourceType"] == "OperationOutcome"
    assert issue["code"] == "invalid" and issue["expression"] == [param]


def test_it_declares_the_bulk_export_operations_it_serves(
    statement: dict[str, Any], api: Api, admin: Persona
) -> None:
    assert statement["instantiates"] == [f"{BULK}/CapabilityStatement/bulk-data"]
    [rest] = statement["rest"]
    [system] = rest["operation"]
    assert (system["name"], system["definition"]) == (
        "export",
        f"{BULK}/OperationDefinition/export",
    )
    by_type = {r["type"]: r for r in rest["resource"]}
    [patient] = by_type["Patient"]["operation"]
    [group] = by_type["Group"]["operation"]
    assert patient["definition"] == f"{BULK}/OperationDefinition/patient-export"
    assert group["definition"] == f"{BULK}/OperationDefinition/group-export"
    assert "interaction" not in by_type["Group"]  # no read or search of a Group
    client = api(admin)
    headers = {"Accept": "application/fhir+json", "Prefer": "respond-async"}
    for url in (
        "/fhir/$export",
        "/fhir/Patient/$export",
        f"/fhir/Group/{admin.clinic.slug}/$export",
    ):
        kicked = client.get(url, headers=headers)
        assert kicked.status_code == 202, (url, kicked.text)
        assert client.delete(kicked.headers["Content-Location"]).status_code == 202


def test_it_declares_smart_backend_services_with_the_token_endpoint(
    statement: dict[str, Any], client: TestClient
) -> None:
    [rest] = statement["rest"]
    security = rest["security"]
    [service] = security["service"]
    assert service["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
            "code": "SMART-on-FHIR",
        }
    ]
    [uris] = security["extension"]
    assert uris["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    [token] = uris["extension"]
    configuration = client.get("/fhir/.well-known/smart-configuration").json()
    assert token == {"url": "token", "valueUri": configuration["token_endpoint"]}
