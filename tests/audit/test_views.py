"""The audit trail page (/admin/audit) and API (/api/v1/audit-events)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit.time import utcnow
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


@pytest.fixture
def activity(
    api: Api, front_desk: Persona, nurse: Persona, custodian: Persona, outsider: Persona
) -> dict[str, int]:
    desk = api(front_desk)
    maya = int(desk.post("/api/v1/patients", json=valid_patient()).json()["id"])
    theo = int(
        desk.post(
            "/api/v1/patients", json=valid_patient(given_name="Theo", family_name="Brandt")
        ).json()["id"]
    )
    api(nurse).get(f"/api/v1/patients/{maya}")
    api(custodian).get(f"/api/v1/patients/{theo}")  # refused: no chart access
    api(outsider).get(f"/api/v1/patients/{maya}")  # another clinic: not found
    return {"maya": maya, "theo": theo}


def test_it_shows_the_trail_filtered_by_patient(
    api: Api, admin: Persona, activity: dict[str, int], db: Session
) -> None:
    page = api(admin).get("/admin/audit", params={"patient": str(activity["maya"])})
    assert page.status_code == 200
    assert "Lindqvist, Maya" in page.text
    assert "Brandt" not in page.text
    assert 'data-action="patient.read"' in page.text
    assert "nia.nurse@lakeside.example.org" in page.text
    # Staff read words; the code stays in the row for search and export.
    assert ">Chart opened<" in page.text and ">patient.read<" not in page.text
    # The outsider's attempt is on this clinic's trail, marked denied.
    assert "oona.nurse@hillcrest.example.org" in page.text and "denied" in page.text


def test_it_filters_by_mrn_user_action_outcome_and_date(
    api: Api, admin: Persona, custodian: Persona, activity: dict[str, int], db: Session
) -> None:
    client = api(admin)
    mrn = client.get(f"/api/v1/patients/{activity['theo']}").json()["mrn"]
    by_mrn = client.get("/admin/audit", params={"patient": mrn.lower(), "action": "patient.create"})
    assert "Brandt, Theo" in by_mrn.text and "1 event" in by_mrn.text
    refused = client.get("/admin/audit", params={"user": custodian.email, "outcome": "denied"})
    assert 'data-action="access.denied"' in refused.text and "1 event" in refused.text
    assert ">Access refused<" in refused.text
    today = utcnow().date()
    later = client.get("/admin/audit", params={"from": str(today + timedelta(days=2))})
    assert "0 events" in later.text


def test_it_names_the_field_of_a_bad_filter(
    api: Api, admin: Persona, activity: dict[str, int]
) -> None:
    client = api(admin)
    bad = client.get("/admin/audit", params={"from": "23/11/2026", "patient": "KC999"})
    assert bad.status_code == 422
    assert "must be a date like 2026-11-23" in bad.text
    assert "no patient &#39;KC999&#39; in your clinics" in bad.text
    backwards = client.get("/admin/audit", params={"from": "2026-11-20", "to": "2026-11-01"})
    assert backwards.status_code == 422 and "on or after" in backwards.text


def test_it_records_that_the_trail_was_read(
    api: Api, admin: Persona, activity: dict[str, int], db: Session
) -> None:
    api(admin).get("/admin/audit", params={"patient": str(activity["maya"])})
    [read] = db.scalars(select(AuditEvent).where(AuditEvent.action == "audit.read"))
    assert read.user_id == admin.user.id and read.patient_id == activity["maya"]


def test_it_keeps_the_trail_from_other_roles(
    api: Api, nurse: Persona, outsider: Persona, activity: dict[str, int]
) -> None:
    assert api(nurse).get("/admin/audit").status_code == 403
    assert api(nurse).get("/api/v1/audit-events").status_code == 403


def test_it_lists_events_as_json_for_admins(
    api: Api, admin: Persona, activity: dict[str, int]
) -> None:
    client = api(admin)
    body = client.get(
        "/api/v1/audit-events", params={"patient_id": activity["maya"], "outcome": "denied"}
    ).json()
    assert body["total"] == 1
    [event] = body["items"]
    assert event["action"] == "access.not_found" and event["actor"].startswith("oona.")
    assert len(event["hash"]) == 64 and len(event["prev_hash"]) == 64
    other = client.get("/api/v1/audit-events", params={"clinic_id": 999_999})
    assert other.status_code == 403
    naive = client.get("/api/v1/audit-events", params={"since": "2026-11-01T00:00"})
    assert naive.status_code == 422 and "since" in naive.json()["error"]["fields"]


def test_it_includes_staff_sign_ins_on_request(
    client: TestClient, api: Api, admin: Persona, nurse: Persona
) -> None:
    from tests.conftest import PASSWORD

    login = client.get("/login")
    token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"email": nurse.email, "password": PASSWORD, "csrf_token": token})
    without = api(admin).get("/api/v1/audit-events", params={"action": "auth."}).json()
    assert without["total"] == 0
    signed = (
        api(admin)
        .get("/api/v1/audit-events", params={"action": "auth.", "include_system": True})
        .json()
    )
    assert any(e["actor"] == nurse.email for e in signed["items"])
