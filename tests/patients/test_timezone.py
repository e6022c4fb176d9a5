"""The patient's own time zone: optional, an IANA name checked with zoneinfo, refused
naming the field; on the API and the chart's edit page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ketaclinic.patients.models import Patient
from tests.auth.test_login import login
from tests.conftest import Persona
from tests.patients.test_api import valid_patient
from tests.patients.test_views import form

Api = Callable[[Persona], TestClient]


@pytest.fixture
def desk(client: TestClient, front_desk: Persona) -> TestClient:
    login(client, front_desk.email)
    return client


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


def test_it_records_and_clears_the_patients_zone_on_the_api(api: Api, nurse: Persona) -> None:
    client = api(nurse)
    created = client.post(
        "/api/v1/patients", json=valid_patient(given_name="Zoe", timezone="America/Denver")
    ).json()
    assert created["timezone"] == "America/Denver"
    cleared = client.patch(f"/api/v1/patients/{created['id']}", json={"timezone": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["timezone"] is None


def test_it_refuses_an_unknown_zone_naming_the_field(api: Api, nurse: Persona) -> None:
    client = api(nurse)
    created = client.post("/api/v1/patients", json=valid_patient(given_name="Yara")).json()
    refused = client.patch(
        f"/api/v1/patients/{created['id']}", json={"timezone": "Mars/Olympus_Mons"}
    )
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert "timezone" in error["fields"]
    assert "unknown time zone" in error["fields"]["timezone"]


def test_it_sets_the_zone_on_the_edit_page_and_shows_it_on_the_chart(
    desk: TestClient, patient_id: int, db: Session
) -> None:
    page = desk.get(f"/patients/{patient_id}/edit")
    assert 'name="timezone"' in page.text
    fields = {
        "given_name": "Maya",
        "family_name": "Lindqvist",
        "birth_date": "1984-03-21",
        "sex_at_birth": "female",
        "status": "active",
    }
    refused = desk.post(
        f"/patients/{patient_id}/edit", data=form(desk, **fields, timezone="Chicago")
    )
    assert refused.status_code == 422
    assert 'id="e-timezone"' in refused.text
    saved = desk.post(
        f"/patients/{patient_id}/edit",
        data=form(desk, **fields, timezone="America/Denver"),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    db.expire_all()
    assert db.get(Patient, patient_id).timezone == "America/Denver"  # type: ignore[union-attr]
    chart = desk.get(f"/patients/{patient_id}")
    assert "America/Denver (the clinic's: America/Chicago)" in chart.text
