"""Converting an inquiry whose inquirer resembles a chart on file: the warning, then
"register anyway" with a reason (API and page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.models import Clinic
from ketaclinic.intake.models import Inquiry
from ketaclinic.patients.models import Patient
from tests.conftest import Persona
from tests.intake.test_public import request_form

Api = Callable[[Persona], TestClient]
BORN = {"birth_date": "1990-05-04", "sex_at_birth": "female"}


def _on_file_and_asked(client: TestClient, desk: TestClient, clinic: Clinic, db: Session) -> Any:
    """Rosa Quintero has a chart; a request then comes in from the same phone."""
    rosa = desk.post(
        "/api/v1/patients",
        json={"given_name": "Rosa", "family_name": "Quintero", "phone": "+15125550188", **BORN},
    )
    assert rosa.status_code == 201, rosa.text
    client.post(f"/consult/{clinic.slug}", data=request_form())
    inquiry_id = db.scalars(select(Inquiry.id).where(Inquiry.clinic_id == clinic.id)).one()
    return rosa.json()["id"], inquiry_id


def _patients(db: Session, clinic: Clinic) -> int:
    stmt = select(func.count()).select_from(Patient).where(Patient.clinic_id == clinic.id)
    return db.scalar(stmt) or 0


def test_it_refuses_a_likely_duplicate_then_converts_with_a_reason(
    client: TestClient, api: Api, clinic: Clinic, front_desk: Persona, db: Session
) -> None:
    desk = api(front_desk)
    rosa_id, inquiry_id = _on_file_and_asked(client, desk, clinic, db)
    before = _patients(db, clinic)
    refused = desk.post(f"/api/v1/inquiries/{inquiry_id}/convert", json=BORN)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "likely_duplicate"
    assert [c["id"] for c in error["candidates"]] == [rosa_id]
    assert _patients(db, clinic) == before
    assert db.get(Inquiry, inquiry_id).status == "new"  # type: ignore[union-attr]
    body = {**BORN, "confirm_duplicate_reason": "Her daughter, same phone"}
    made = desk.post(f"/api/v1/inquiries/{inquiry_id}/convert", json=body)
    assert made.status_code == 201, made.text
    patient = db.get(Patient, made.json()["patient_id"])
    assert patient is not None and patient.duplicate_reason == "Her daughter, same phone"
    created = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "patient.create", AuditEvent.patient_id == patient.id
        )
    ).one()
    assert "Her daughter, same phone" in str(created.detail)
    assert _patients(db, clinic) == before + 1


def test_it_warns_on_the_page_and_registers_anyway(
    client: TestClient, api: Api, clinic: Clinic, front_desk: Persona, db: Session
) -> None:
    desk = api(front_desk)
    rosa_id, inquiry_id = _on_file_and_asked(client, desk, clinic, db)
    warned = desk.post(f"/inquiries/{inquiry_id}/convert", data=BORN)
    assert warned.status_code == 422
    assert "This patient may already be registered" in warned.text
    assert f'href="/patients/{rosa_id}">Open the existing chart' in warned.text
    assert "Register anyway" in warned.text and 'name="confirm_duplicate_reason"' in warned.text
    assert 'value="1990-05-04"' in warned.text  # what was entered stays
    made = desk.post(
        f"/inquiries/{inquiry_id}/convert",
        data={**BORN, "confirm_duplicate_reason": "Her daughter, same phone"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    patient = db.scalars(
        select(Patient).where(Patient.clinic_id == clinic.id, Patient.id != rosa_id)
    ).one()
    assert made.headers["location"] == f"/patients/{patient.id}"
    assert patient.duplicate_reason == "Her daughter, same phone"
    assert db.get(Inquiry, inquiry_id).patient_id == patient.id  # type: ignore[union-attr]
