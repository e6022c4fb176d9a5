"""Bulk Data export: kick-off at the system, Patient and Group levels, polling with
X-Progress, the manifest, NDJSON files that validate line by line against the
fhir.resources models, _type and _since, deletion, and who may do it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy.orm import Session

from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.models import Clinic
from ketaclinic.fhir import bulk
from ketaclinic.fhir.deps import facts_of
from ketaclinic.settings import Settings
from tests.conftest import Persona
from tests.fhir.test_api import chart  # noqa: F401 - the fixture

Api = Callable[[Persona], TestClient]
ASYNC = {"Accept": "application/fhir+json", "Prefer": "respond-async"}


def _run(db: Session, settings: Settings, status_url: str) -> None:
    """What the worker does for this export."""
    export = bulk.claim_next(db, only=status_url.rsplit("/", 1)[1])
    assert export is not None
    bulk.write(db, export, settings.data_dir / "fhir-exports", facts_of(load_protocols()))


def _kick_off(client: TestClient, url: str) -> str:
    response = client.get(url, headers=ASYNC)
    assert response.status_code == 202, response.text
    return response.headers["Content-Location"]


def _lines(client: TestClient, url: str) -> list[dict[str, Any]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_it_exports_the_clinic_and_every_line_validates(
    db: Session,
    api: Api,
    admin: Persona,
    settings: Settings,
    chart: dict[str, Any],  # noqa: F811
) -> None:
    client = api(admin)
    status_url = _kick_off(client, "/fhir/$export")
    waiting = client.get(status_url)
    assert waiting.status_code == 202 and waiting.headers["X-Progress"] == "waiting to start"
    _run(db, settings, status_url)
    manifest = client.get(status_url)
    assert manifest.status_code == 200
    body = manifest.json()
    assert body["requiresAccessToken"] is True and body["request"].endswith("/fhir/$export")
    kinds = {o["type"] for o in body["output"]}
    assert {"Patient", "Condition", "Observation", "Practitioner", "Organization"} <= kinds
    found: dict[str, list[dict[str, Any]]] = {}
    for output in body["output"]:
        lines = _lines(client, output["url"])
        assert len(lines) == output["count"]
        for line in lines:
            model = get_fhir_model_class(line["resourceType"])
            assert line["resourceType"] == output["type"]
            model.model_validate(line)  # raises on any invalid element
        found[output["type"]] = lines
    ours = f"Patient/{chart['id']}"
    codes = sorted(
        c["code"]["coding"][0]["code"]
        for c in found["Condition"]
        if c["subject"]["reference"] == ours
    )
    assert codes == ["F33.2", "F41.1"]
    assert any(p["id"] == str(chart["id"]) for p in found["Patient"])


def test_it_exports_the_types_asked_for_since_a_moment(
    db: Session,
    api: Api,
    admin: Persona,
    settings: Settings,
    chart: dict[str, Any],  # noqa: F811
) -> None:
    client = api(admin)
    url = "/fhir/Patient/$export?_type=Condition,AllergyIntolerance&_outputFormat=ndjson"
    status_url = _kick_off(client, url)
    _run(db, settings, status_url)
    body = client.get(status_url).json()
    assert {o["type"] for o in body["output"]} == {"Condition", "AllergyIntolerance"}
    later = _kick_off(client, "/fhir/Patient/$export?_since=2999-01-01T00:00:00Z")
    _run(db, settings, later)
    assert client.get(later).json()["output"] == []


def test_it_exports_a_group_of_one_of_the_callers_clinics_only(
    db: Session, api: Api, admin: Persona, settings: Settings, clinic: Clinic, other_clinic: Clinic
) -> None:
    client = api(admin)
    status_url = _kick_off(client, f"/fhir/Group/{clinic.slug}/$export?_type=Patient")
    _run(db, settings, status_url)
    assert client.get(status_url).status_code == 200
    refused = client.get(f"/fhir/Group/{other_clinic.slug}/$export", headers=ASYNC)
    assert refused.status_code == 404
    assert refused.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/fhir/$export?_outputFormat=text/csv", "_outputFormat"),
        ("/fhir/Patient/$export?_type=Practitioner", "_type"),
        ("/fhir/$export?_type=Banana", "_type"),
        ("/fhir/$export?_since=yesterday", "_since"),
        ("/fhir/$export?_since=2026-11-01T00:00:00", "_since"),
        ("/fhir/$export?_elements=id", "_elements"),
    ],
)
def test_it_refuses_a_kick_off_it_cannot_honour_naming_the_parameter(
    api: Api, admin: Persona, url: str, parameter: str
) -> None:
    response = api(admin).get(url, headers=ASYNC)
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert parameter in json.dumps(outcome)


def test_it_lets_only_the_administrator_who_asked_see_delete_and_download(
    db: Session, api: Api, admin: Persona, nurse: Persona, settings: Settings, clinic: Clinic
) -> None:
    assert api(nurse).get("/fhir/$export", headers=ASYNC).status_code == 403
    client = api(admin)
    status_url = _kick_off(client, "/fhir/$export?_type=Organization")
    _run(db, settings, status_url)
    [output] = client.get(status_url).json()["output"]
    assert api(nurse).get(status_url).status_code == 403
    assert client.get(status_url[:-1] + "0").status_code == 404
    deleted = client.delete(status_url)
    assert deleted.status_code == 202
    assert client.get(status_url).status_code == 404
    assert client.get(output["url"]).status_code == 404


def test_it_stops_a_running_export_when_it_is_deleted(
    db: Session, api: Api, admin: Persona, settings: Settings
) -> None:
    client = api(admin)
    status_url = _kick_off(client, "/fhir/Patient/$export?_type=Patient")
    export = bulk.claim_next(db, only=status_url.rsplit("/", 1)[1])
    assert export is not None
    assert client.delete(status_url).status_code == 202
    with pytest.raises(bulk.Cancelled):
        bulk.write(db, export, settings.data_dir / "fhir-exports", {})


def test_it_limits_the_exports_one_caller_runs_at_once(api: Api, admin: Persona) -> None:
    client = api(admin)
    for _ in range(bulk.OPEN_PER_CALLER):
        _kick_off(client, "/fhir/$export?_type=Organization")
    refused = client.get("/fhir/$export", headers=ASYNC)
    assert refused.status_code == 429
