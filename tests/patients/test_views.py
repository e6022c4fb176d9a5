"""The staff pages for the registry, driven through a signed-in browser session."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.patients.models import Contact, Patient
from tests.auth.test_login import login, page_csrf
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


@pytest.fixture
def desk(client: TestClient, front_desk: Persona) -> TestClient:
    login(client, front_desk.email)
    return client


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


def form(client: TestClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": page_csrf(client), **fields}


def test_it_lists_and_searches_patients(desk: TestClient, patient_id: int) -> None:
    page = desk.get("/patients")
    assert "Lindqvist, Maya" in page.text
    partial = desk.get(
        "/patients",
        params={"q": "nobody"},
        headers={"HX-Request": "true", "HX-Target": "patient-results"},
    )
    assert "No patients match." in partial.text
    assert "<html" not in partial.text  # only the results fragment


def test_it_creates_a_patient_from_the_form(
    desk: TestClient, front_desk: Persona, db: Session
) -> None:
    response = desk.post(
        "/patients/new",
        data=form(
            desk,
            given_name="Wren",
            family_name="Halvorsen",
            birth_date="1988-07-14",
            sex_at_birth="female",
            weight="61.5",
            weight_unit="kg",
            phone="",
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303
    created = db.scalar(
        select(Patient).where(
            Patient.family_name == "Halvorsen", Patient.clinic_id == front_desk.clinic.id
        )
    )
    assert created is not None and created.phone is None
    assert response.headers["location"] == f"/patients/{created.id}"


def test_it_shows_form_errors_beside_the_fields_and_keeps_the_input(
    desk: TestClient, db: Session
) -> None:
    before = db.scalar(select(func.count()).select_from(Patient))
    response = desk.post(
        "/patients/new",
        data=form(
            desk,
            given_name="Wren",
            family_name="",
            birth_date="2999-01-01",
            sex_at_birth="female",
            height="20",
            height_unit="cm",
        ),
    )
    assert response.status_code == 422
    assert re.search(r'id="e-family_name"[^>]*>is required<', response.text)
    assert re.search(r'id="e-birth_date"[^>]*>must not be in the future<', response.text)
    assert re.search(r'id="e-height"[^>]*>must be between 40 and 250 cm<', response.text)
    assert 'value="Wren"' in response.text
    assert db.scalar(select(func.count()).select_from(Patient)) == before


def test_it_shows_a_chart_in_the_clinic_time_zone(desk: TestClient, patient_id: int) -> None:
    page = desk.get(f"/patients/{patient_id}")
    assert page.status_code == 200
    assert "Measured (America/Chicago)" in page.text
    assert "+1 512-555-0147" in page.text
    assert "68.4 kg" in page.text


def test_it_edits_a_patient_and_records_a_new_weight(
    desk: TestClient, patient_id: int, db: Session
) -> None:
    edit_page = desk.get(f"/patients/{patient_id}/edit")
    assert 'value="Maya"' in edit_page.text
    response = desk.post(
        f"/patients/{patient_id}/edit",
        data=form(
            desk,
            given_name="Maya",
            family_name="Lindqvist-Berg",
            birth_date="1984-03-21",
            sex_at_birth="female",
            status="active",
            weight="69.9",
            email="",
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.expire_all()
    patient = db.get(Patient, patient_id)
    assert patient is not None
    assert patient.family_name == "Lindqvist-Berg"
    assert patient.email is None
    assert "69.9 kg" in desk.get(f"/patients/{patient_id}").text


def test_it_rejects_a_bad_edit_and_changes_nothing(
    desk: TestClient, patient_id: int, db: Session
) -> None:
    response = desk.post(
        f"/patients/{patient_id}/edit",
        data=form(
            desk,
            given_name="",
            family_name="Lindqvist",
            birth_date="1984-03-21",
            sex_at_birth="female",
            status="active",
        ),
    )
    assert response.status_code == 422
    db.expire_all()
    assert db.get(Patient, patient_id).given_name == "Maya"  # type: ignore[union-attr]


def test_it_adds_list_entries_from_the_chart(
    desk: TestClient, patient_id: int, db: Session
) -> None:
    added = desk.post(
        f"/patients/{patient_id}/contacts",
        data=form(
            desk, name="Theo Lindqvist", relationship="spouse", phone="512 555 0100", is_escort="on"
        ),
        follow_redirects=False,
    )
    assert added.status_code == 303
    contact = db.scalar(select(Contact).where(Contact.patient_id == patient_id))
    assert contact is not None
    assert contact.is_escort and not contact.is_emergency
    bad = desk.post(
        f"/patients/{patient_id}/diagnoses", data=form(desk, code="not-a-code", label="x")
    )
    assert bad.status_code == 422
    assert "must be an ICD-10-CM code like F33.2" in bad.text
    weight = desk.post(f"/patients/{patient_id}/measurements", data=form(desk, weight="1"))
    assert weight.status_code == 422
    assert "must be between 2 and 400 kg" in weight.text
    retired = desk.post(
        f"/patients/{patient_id}/contacts/{contact.id}/active",
        data=form(desk, active="false"),
        follow_redirects=False,
    )
    assert retired.status_code == 303
    db.expire_all()
    assert db.get(Contact, contact.id).active is False  # type: ignore[union-attr]


def test_it_shows_forbidden_pages_to_the_custodian(
    client: TestClient, custodian: Persona, patient_id: int
) -> None:
    login(client, custodian.email)
    assert client.get("/patients").status_code == 403
    page = client.get(f"/patients/{patient_id}")
    assert page.status_code == 403
    assert "Not allowed" in page.text


def test_it_keeps_another_clinic_out_of_the_chart(
    client: TestClient, outsider: Persona, patient_id: int
) -> None:
    login(client, outsider.email)
    assert "Lindqvist" not in client.get("/patients").text
    assert client.get(f"/patients/{patient_id}").status_code == 404
    assert client.get(f"/patients/{patient_id}/edit").status_code == 404
    response = client.post(
        f"/patients/{patient_id}/measurements",
        data={"csrf_token": page_csrf(client), "weight_kg": "80"},
    )
    assert response.status_code == 404


def test_it_warns_of_a_likely_duplicate_and_registers_anyway_with_a_reason(
    desk: TestClient, patient_id: int, db: Session
) -> None:
    fields = {
        "given_name": "Maya",
        "family_name": "Lindquist",
        "birth_date": "1984-03-21",
        "sex_at_birth": "female",
    }
    warned = desk.post("/patients/new", data=form(desk, **fields), follow_redirects=False)
    assert warned.status_code == 422
    assert "This patient may already be registered" in warned.text
    assert f'href="/patients/{patient_id}">Open the existing chart' in warned.text
    assert "Register anyway" in warned.text and 'value="Lindquist"' in warned.text
    created = desk.post(
        "/patients/new",
        data=form(desk, **fields, confirm_duplicate_reason="Different person: cousin"),
        follow_redirects=False,
    )
    assert created.status_code == 303
    chart = desk.get(created.headers["location"]).text
    assert "Registered despite a likely duplicate: Different person: cousin" in chart


def test_it_records_and_shows_the_unit_entered(desk: TestClient, patient_id: int) -> None:
    done = desk.post(
        f"/patients/{patient_id}/measurements",
        data=form(desk, weight="150", weight_unit="lb", height="65.5", height_unit="in"),
        follow_redirects=False,
    )
    assert done.status_code == 303
    chart = desk.get(f"/patients/{patient_id}").text
    summary = chart.split('id="summary"')[1].split("</section>")[0]
    assert "150.0 lb" in summary and "(68.0 kg)" in summary and "65.5 in" in summary
    bad = desk.post(
        f"/patients/{patient_id}/measurements", data=form(desk, weight="2", weight_unit="lb")
    )
    assert bad.status_code == 422
    assert re.search(r'id="e-weight"[^>]*>must be between 4.5 and 881.8 lb<', bad.text)


def test_it_sorts_and_pages_the_list_with_page_links(
    desk: TestClient, api: Api, front_desk: Persona
) -> None:
    client = api(front_desk)
    for i in range(7):
        client.post(
            "/api/v1/patients",
            json=valid_patient(family_name=f"Row{i}", birth_date=f"198{i}-01-01"),
        )
    first = desk.get("/patients", params={"size": 5, "sort": "-birth_date"}).text
    names = re.findall(r">Row(\d), Maya<", first)
    assert names == ["6", "5", "4", "3", "2"]
    assert 'aria-sort="descending"' in first and "Next visit" in first
    assert 'aria-current="page" class="current">1<' in first
    assert "sort=-birth_date&amp;page=2" in first  # a link to page 2 keeps the order
    second = desk.get("/patients", params={"size": 5, "sort": "-birth_date", "page": 2}).text
    assert re.findall(r">Row(\d), Maya<", second) == ["1", "0"]
