"""The patient registry API: create, read, update, search, and every validation rule."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit.time import today_in
from ketaclinic.patients.models import BodyMeasurement, Patient
from ketaclinic.patients.mrn import is_valid_mrn
from tests.conftest import CLINIC_TZ, Persona

Api = Callable[[Persona], TestClient]


# Each other person's own phone number (Maya's is 555 0147).
_PHONE_NUMBERS = itertools.count(1000)


def valid_patient(**overrides: Any) -> dict[str, Any]:
    """Maya Lindqvist; another name gets its own phone and email (a shared one would
    be a likely duplicate at registration)."""
    body: dict[str, Any] = {
        "given_name": "Maya",
        "family_name": "Lindqvist",
        "birth_date": "1984-03-21",
        "sex_at_birth": "female",
        "phone": "+1 512 555 0147",
        "email": "maya.lindqvist@mail.example.org",
        "weight_kg": 68.4,
        "height_cm": 167,
    }
    if {"given_name", "family_name"} & set(overrides):
        name = f"{overrides.get('given_name', 'Maya')} {overrides.get('family_name', 'Lindqvist')}"
        body["phone"] = f"+1 512 555 {next(_PHONE_NUMBERS) % 10000:04d}"
        body["email"] = re.sub(r"[^a-z0-9.]", "", name.lower().replace(" ", ".")) + "@example.org"
    body.update(overrides)
    return body


def test_it_creates_a_patient_with_a_generated_mrn(api: Api, front_desk: Persona) -> None:
    response = api(front_desk).post(
        "/api/v1/patients",
        json=valid_patient(
            diagnoses=[{"code": "f332", "label": "MDD, recurrent, severe"}],
            contacts=[
                {
                    "name": "Theo Lindqvist",
                    "relationship": "spouse",
                    "phone": "512-555-0100",
                    "is_escort": True,
                }
            ],
        ),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert is_valid_mrn(body["mrn"])
    assert body["weight_kg"] == 68.4
    assert body["height_cm"] == 167.0
    assert body["phone"] == "+15125550147"
    assert body["diagnoses"][0]["code"] == "F33.2"
    assert body["contacts"][0]["is_escort"] is True
    assert body["contacts"][0]["phone"] == "+15125550100"
    assert body["clinic_id"] == front_desk.clinic.id


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"weight_kg": 1.9}, "weight_kg", "must be between 2 and 400"),
        ({"weight_kg": 400.1}, "weight_kg", "must be between 2 and 400"),
        ({"weight_kg": "heavy"}, "weight_kg", "must be a number between 2 and 400"),
        ({"height_cm": 39}, "height_cm", "must be between 40 and 250"),
        ({"height_cm": 251}, "height_cm", "must be between 40 and 250"),
        (
            {"birth_date": (today_in(CLINIC_TZ) + timedelta(days=1)).isoformat()},
            "birth_date",
            "must not be in the future",
        ),
        ({"birth_date": "21/03/1984"}, "birth_date", "must be a date like 1984-03-21"),
        ({"email": "maya-at-example"}, "email", "is not a valid email address"),
        ({"phone": "12345"}, "phone", "is not a"),
        ({"given_name": "   "}, "given_name", "is required"),
        ({"family_name": "x" * 101}, "family_name", "must be at most 100 characters"),
        ({"sex_at_birth": "f"}, "sex_at_birth", "female"),
        ({"country": "usa"}, "country", "expected form"),
        (
            {"diagnoses": [{"code": "depression", "label": "x"}]},
            "diagnoses.0.code",
            "must be an ICD-10-CM code",
        ),
        ({"contacts": [{"name": "Escort", "phone": "nope"}]}, "contacts.0.phone", "is not a"),
        ({"favourite_colour": "teal"}, "favourite_colour", "is not a known field"),
    ],
)
def test_it_rejects_invalid_input_naming_the_field(
    api: Api, front_desk: Persona, db: Session, overrides: dict[str, Any], field: str, message: str
) -> None:
    before = db.scalar(select(func.count()).select_from(Patient))
    response = api(front_desk).post("/api/v1/patients", json=valid_patient(**overrides))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    typed = message == "must not be in the future"  # the service's own refusal, not the schema's
    assert error["code"] == ("birth_date_in_future" if typed else "validation_error")
    assert field in error["fields"], error
    assert message in error["fields"][field]
    assert db.scalar(select(func.count()).select_from(Patient)) == before


def test_it_says_which_fields_are_missing(api: Api, front_desk: Persona) -> None:
    response = api(front_desk).post("/api/v1/patients", json={})
    fields = response.json()["error"]["fields"]
    assert response.status_code == 422
    assert {"given_name", "family_name", "birth_date", "sex_at_birth"} <= set(fields)
    assert fields["given_name"] == "is required"


def test_it_reads_a_patient_with_its_history(api: Api, nurse: Persona) -> None:
    client = api(nurse)
    created = client.post("/api/v1/patients", json=valid_patient()).json()
    client.post(f"/api/v1/patients/{created['id']}/measurements", json={"weight_kg": 70.2})
    body = client.get(f"/api/v1/patients/{created['id']}").json()
    assert body["weight_kg"] == 70.2
    assert body["height_cm"] == 167.0
    assert [m["weight_kg"] for m in body["measurements"]] == [70.2, 68.4]


def test_it_keeps_weight_as_a_history_when_patched(api: Api, nurse: Persona, db: Session) -> None:
    client = api(nurse)
    created = client.post("/api/v1/patients", json=valid_patient()).json()
    response = client.patch(
        f"/api/v1/patients/{created['id']}", json={"weight_kg": 66.0, "phone": "+1 512 555 0199"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["weight_kg"] == 66.0
    assert response.json()["phone"] == "+15125550199"
    count = db.scalar(
        select(func.count())
        .select_from(BodyMeasurement)
        .where(BodyMeasurement.patient_id == created["id"])
    )
    assert count == 2


def test_it_refuses_to_clear_a_required_field(api: Api, nurse: Persona) -> None:
    client = api(nurse)
    created = client.post("/api/v1/patients", json=valid_patient()).json()
    response = client.patch(f"/api/v1/patients/{created['id']}", json={"given_name": None})
    assert response.status_code == 422
    assert "given_name cannot be cleared" in response.json()["error"]["message"]


def test_it_deactivates_instead_of_deleting(api: Api, front_desk: Persona) -> None:
    client = api(front_desk)
    created = client.post("/api/v1/patients", json=valid_patient()).json()
    assert client.delete(f"/api/v1/patients/{created['id']}").status_code == 405
    response = client.patch(f"/api/v1/patients/{created['id']}", json={"status": "inactive"})
    assert response.json()["status"] == "inactive"
    assert client.get("/api/v1/patients", params={"status": "active"}).json()["total"] == 0
    assert client.get("/api/v1/patients", params={"status": "inactive"}).json()["total"] == 1


def test_it_adds_and_retires_list_entries(api: Api, prescriber: Persona) -> None:
    client = api(prescriber)
    pid = client.post("/api/v1/patients", json=valid_patient()).json()["id"]
    med = client.post(
        f"/api/v1/patients/{pid}/medications", json={"name": "Lamotrigine", "dose": "200 mg daily"}
    )
    assert med.status_code == 201
    allergy = client.post(f"/api/v1/patients/{pid}/allergies", json={"substance": "Penicillin"})
    assert allergy.status_code == 201
    bad = client.post(f"/api/v1/patients/{pid}/diagnoses", json={"code": "X", "label": "?"})
    assert bad.status_code == 422
    assert "code" in bad.json()["error"]["fields"]
    retired = client.patch(
        f"/api/v1/patients/{pid}/medications/{med.json()['id']}", json={"active": False}
    )
    assert retired.json()["active"] is False
    detail = client.get(f"/api/v1/patients/{pid}").json()
    assert detail["medications"][0]["active"] is False
    assert detail["allergies"][0]["substance"] == "Penicillin"


def test_it_rejects_a_future_measurement(api: Api, nurse: Persona) -> None:
    client = api(nurse)
    pid = client.post("/api/v1/patients", json=valid_patient()).json()["id"]
    response = client.post(
        f"/api/v1/patients/{pid}/measurements",
        json={"weight_kg": 70, "measured_at": "2999-01-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"measured_at": "must not be in the future"}
    empty = client.post(f"/api/v1/patients/{pid}/measurements", json={})
    assert empty.status_code == 422


def test_it_searches_by_name_mrn_and_birth_date(api: Api, front_desk: Persona) -> None:
    client = api(front_desk)
    maya = client.post("/api/v1/patients", json=valid_patient()).json()
    client.post(
        "/api/v1/patients",
        json=valid_patient(
            given_name="Marcus", family_name="Okafor", birth_date="1979-11-02", email=None
        ),
    )
    by_name = client.get("/api/v1/patients", params={"q": "lind maya"}).json()
    assert [p["id"] for p in by_name["items"]] == [maya["id"]]
    by_mrn = client.get("/api/v1/patients", params={"q": maya["mrn"].lower()}).json()
    assert [p["mrn"] for p in by_mrn["items"]] == [maya["mrn"]]
    by_birth = client.get("/api/v1/patients", params={"birth_date": "1979-11-02"}).json()
    assert [p["family_name"] for p in by_birth["items"]] == ["Okafor"]
    typed_birth = client.get("/api/v1/patients", params={"q": "1979-11-02"}).json()
    assert typed_birth["total"] == 1
    wildcard = client.get("/api/v1/patients", params={"q": "%"}).json()
    assert wildcard["total"] == 0


def test_it_paginates(api: Api, front_desk: Persona) -> None:
    client = api(front_desk)
    for i in range(5):
        client.post(
            "/api/v1/patients",
            json=valid_patient(family_name=f"Page{i}", birth_date=f"198{i}-03-21"),
        )
    first = client.get("/api/v1/patients", params={"page_size": 2}).json()
    third = client.get("/api/v1/patients", params={"page_size": 2, "page": 3}).json()
    assert first["total"] == 5
    assert [p["family_name"] for p in first["items"]] == ["Page0", "Page1"]
    assert [p["family_name"] for p in third["items"]] == ["Page4"]
    too_big = client.get("/api/v1/patients", params={"page_size": 1000})
    assert too_big.status_code == 422
    assert "page_size" in too_big.json()["error"]["fields"]


def test_it_counts_the_matches_in_the_page_s_query_and_past_the_last_page(
    api: Api, front_desk: Persona
) -> None:
    client = api(front_desk)
    for i in range(3):
        client.post(
            "/api/v1/patients",
            json=valid_patient(family_name=f"Count{i}", birth_date=f"198{i}-03-21"),
        )
    found = client.get("/api/v1/patients", params={"q": "count", "page_size": 2}).json()
    past = client.get("/api/v1/patients", params={"q": "count", "page_size": 2, "page": 9})
    none = client.get("/api/v1/patients", params={"q": "nobody-by-this-name"}).json()
    assert (found["total"], len(found["items"])) == (3, 2)
    assert (past.json()["total"], past.json()["items"]) == (3, [])
    assert (none["total"], none["items"]) == (0, [])


def test_it_returns_404_for_an_unknown_patient(api: Api, nurse: Persona) -> None:
    response = api(nurse).get("/api/v1/patients/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "patient_not_found"


def test_it_answers_409_with_the_candidates_and_registers_once_confirmed(
    api: Api, front_desk: Persona, db: Session
) -> None:
    client = api(front_desk)
    maya = client.post("/api/v1/patients", json=valid_patient()).json()
    again = client.post("/api/v1/patients", json=valid_patient(family_name="Lindquist"))
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "likely_duplicate"
    assert [c["id"] for c in error["candidates"]] == [maya["id"]]
    assert "same birth date and a similar name" in error["candidates"][0]["reasons"]
    # Showing Maya's chart in the warning is a read of it, kept in the trail.
    shown = select(AuditEvent.patient_id).where(
        AuditEvent.action == "patient.duplicate_warning",
        AuditEvent.clinic_id == front_desk.clinic.id,  # the browser tests' clinics aside
    )
    assert db.scalars(shown).all() == [maya["id"]]
    before = db.scalar(select(func.count()).select_from(Patient))
    confirmed = client.post(
        "/api/v1/patients",
        json=valid_patient(family_name="Lindquist", confirm_duplicate_reason="Cousin, not Maya"),
    )
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["duplicate_reason"] == "Cousin, not Maya"
    assert db.scalar(select(func.count()).select_from(Patient)) == before + 1


def test_it_takes_weight_and_height_in_pounds_and_inches(
    api: Api, front_desk: Persona, db: Session
) -> None:
    client = api(front_desk)
    body = valid_patient(weight=150, weight_unit="lb", height=65.5, height_unit="in")
    del body["weight_kg"], body["height_cm"]
    created = client.post("/api/v1/patients", json=body)
    assert created.status_code == 201, created.text
    made = created.json()
    assert (made["weight_kg"], made["height_cm"]) == (68.0, 166.4)  # decimals are JSON numbers
    [m] = made["measurements"]
    assert (m["weight_entered"], m["weight_unit"]) == (150.0, "lb")
    assert (m["height_entered"], m["height_unit"]) == (65.5, "in")
    stored = db.scalars(select(BodyMeasurement).where(BodyMeasurement.id == m["id"])).one()
    assert stored.weight_kg == Decimal("68.0") and stored.weight_unit == "lb"
    pid = made["id"]
    too_heavy = client.post(
        f"/api/v1/patients/{pid}/measurements", json={"weight": 900, "weight_unit": "lb"}
    )
    assert too_heavy.status_code == 422
    assert too_heavy.json()["error"]["fields"] == {"weight": "must be between 4.5 and 881.8 lb"}
    stone = client.post(
        f"/api/v1/patients/{pid}/measurements", json={"weight": 11, "weight_unit": "st"}
    )
    assert stone.status_code == 422 and "weight_unit" in stone.json()["error"]["fields"]
    both = client.post(f"/api/v1/patients/{pid}/measurements", json={"weight": 70, "weight_kg": 70})
    assert both.status_code == 422
    in_kg = client.post(f"/api/v1/patients/{pid}/measurements", json={"weight_kg": 70})
    assert (in_kg.json()["weight_entered"], in_kg.json()["weight_unit"]) == (70.0, "kg")


def test_it_searches_by_a_us_date_and_a_phone_number_in_any_punctuation(
    api: Api, front_desk: Persona
) -> None:
    client = api(front_desk)
    maya = client.post("/api/v1/patients", json=valid_patient()).json()
    client.post("/api/v1/patients", json=valid_patient(given_name="Theo", birth_date="1990-05-06"))
    for q in ("03/21/1984", "3/21/1984", "lind 21 March 1984", "(512) 555-0147", "512.555.0147"):
        found = client.get("/api/v1/patients", params={"q": q}).json()
        assert [p["id"] for p in found["items"]] == [maya["id"]], q


def test_it_sorts_by_a_column_either_way(api: Api, front_desk: Persona) -> None:
    client = api(front_desk)
    for i, born in enumerate(("1990-01-01", "1970-01-01", "1980-01-01")):
        client.post("/api/v1/patients", json=valid_patient(family_name=f"Sort{i}", birth_date=born))
    by_birth = client.get("/api/v1/patients", params={"sort": "birth_date"}).json()
    assert [p["family_name"] for p in by_birth["items"]] == ["Sort1", "Sort2", "Sort0"]
    newest = client.get("/api/v1/patients", params={"sort": "-birth_date", "page_size": 1}).json()
    assert ([p["family_name"] for p in newest["items"]], newest["total"]) == (["Sort0"], 3)
    by_name = client.get("/api/v1/patients", params={"sort": "-name"}).json()
    assert [p["family_name"] for p in by_name["items"]] == ["Sort2", "Sort1", "Sort0"]
    assert all(p["next_visit"] is None for p in by_name["items"])
    bad = client.get("/api/v1/patients", params={"sort": "weight"})
    assert bad.status_code == 422 and "sort" in bad.json()["error"]["fields"]
