"""The audit trail records every read, write and refusal of patient data, in the
same transaction as the change it describes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import utcnow
from ketaclinic.patients import service as patients
from ketaclinic.patients.schemas import MeasurementIn
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


def _events(db: Session, **where: object) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    return list(db.scalars(stmt))


def test_it_records_who_read_a_chart_from_where(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    client = api(nurse)
    client.headers["User-Agent"] = "ChairsideTablet/1.0"
    assert client.get(f"/api/v1/patients/{patient_id}").status_code == 200
    [read] = _events(db, action="patient.read", patient_id=patient_id)
    assert read.user_id == nurse.user.id
    assert read.actor == nurse.email
    assert read.clinic_id == nurse.clinic.id
    assert read.outcome == "allowed"
    assert read.resource_type == "patient" and read.resource_id == str(patient_id)
    assert read.channel == "api"
    assert read.ip == "testclient"
    assert read.user_agent == "ChairsideTablet/1.0"
    assert read.request_id
    assert json.loads(read.detail) == {"purpose": "view"}


def test_it_records_a_chart_opened_on_the_staff_page(
    api: Api, prescriber: Persona, patient_id: int, db: Session
) -> None:
    page = api(prescriber).get(f"/patients/{patient_id}")
    assert page.status_code == 200
    [read] = _events(db, action="patient.read", patient_id=patient_id)
    assert read.actor == prescriber.email and json.loads(read.detail) == {"purpose": "view"}
    # The chart shows its own access log, this very opening included.
    assert "Who looked at this record" in page.text
    assert prescriber.email in page.text


def test_it_records_a_search_and_which_patients_it_listed(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    assert api(nurse).get("/api/v1/patients", params={"q": "lindq"}).status_code == 200
    [search] = _events(db, action="patient.search")
    detail = json.loads(search.detail)
    assert detail["q"] == "lindq" and detail["patient_ids"] == [patient_id]


def test_it_records_writes_with_the_names_of_changed_fields(
    api: Api, front_desk: Persona, patient_id: int, db: Session
) -> None:
    [created] = _events(db, action="patient.create", patient_id=patient_id)
    assert created.actor == front_desk.email
    client = api(front_desk)
    client.patch(f"/api/v1/patients/{patient_id}", json={"phone": "+15125550199", "city": "Austin"})
    [update] = _events(db, action="patient.update", patient_id=patient_id)
    assert json.loads(update.detail) == {"fields": ["phone", "city"]}
    assert "5550199" not in update.detail  # names, never values
    client.post(f"/api/v1/patients/{patient_id}/allergies", json={"substance": "Latex"})
    [allergy] = _events(db, action="patient.allergies.create")
    assert allergy.resource_type == "allergies" and allergy.patient_id == patient_id


def test_it_records_a_refused_role_and_an_anonymous_caller(
    api: Api, client: TestClient, custodian: Persona, patient_id: int, db: Session
) -> None:
    assert api(custodian).get(f"/api/v1/patients/{patient_id}").status_code == 403
    [denied] = _events(db, action="access.denied")
    assert denied.outcome == "denied" and denied.user_id == custodian.user.id
    # Filed on the trail of the clinic whose record was asked for.
    assert denied.patient_id == patient_id and denied.clinic_id == custodian.clinic.id
    assert json.loads(denied.detail)["route"] == "GET /api/v1/patients/{patient_id}"
    assert client.get(f"/api/v1/patients/{patient_id}").status_code == 401
    [anonymous] = _events(db, action="access.unauthenticated")
    assert anonymous.user_id is None and anonymous.patient_id == patient_id


def test_it_records_another_clinics_attempt_and_writes_nothing(
    api: Api, outsider: Persona, patient_id: int, db: Session
) -> None:
    response = api(outsider).patch(f"/api/v1/patients/{patient_id}", json={"city": "Elsewhere"})
    assert response.status_code == 404
    assert _events(db, action="patient.update") == []
    [attempt] = _events(db, action="access.not_found")
    assert attempt.user_id == outsider.user.id
    assert attempt.clinic_id != outsider.clinic.id  # on the owning clinic's trail
    assert attempt.patient_id == patient_id


def test_it_leaves_no_success_row_when_the_write_fails(
    db: Session, front_desk: Persona, patient_id: int
) -> None:
    """The audit row and the change share one transaction: a write that fails after
    its audit row was added takes the row with it."""
    principal = principal_for(db, front_desk.user)
    patient = patients.get_patient(db, principal, patient_id, write=True)
    before = len(_events(db))
    weighed = len(_events(db, action="patient.measurement.create"))
    with pytest.raises(ValidationFailed), db.begin_nested():
        patients.record_measurement(
            db, principal, patient, MeasurementIn(weight_kg=70, measured_at=utcnow())
        )
        # Added to the transaction, written when it commits.
        assert [e.action for e in audit.pending(db)] == ["patient.measurement.create"]
        patients.record_measurement(
            db,
            principal,
            patient,
            MeasurementIn(weight_kg=71, measured_at=utcnow() + timedelta(days=1)),
        )
    assert audit.pending(db) == []
    db.commit()
    assert len(_events(db)) == before
    assert len(_events(db, action="patient.measurement.create")) == weighed


def test_it_refuses_a_future_measurement_over_http_without_an_audit_row(
    api: Api, nurse: Persona, patient_id: int, db: Session
) -> None:
    future = (utcnow() + timedelta(days=2)).isoformat()
    weighed = len(_events(db, action="patient.measurement.create"))
    response = api(nurse).post(
        f"/api/v1/patients/{patient_id}/measurements",
        json={"weight_kg": 70, "measured_at": future},
    )
    assert response.status_code == 422
    assert len(_events(db, action="patient.measurement.create")) == weighed


def test_it_chains_each_clinic_separately(
    db: Session, api: Api, nurse: Persona, outsider: Persona, patient_id: int
) -> None:
    api(nurse).get(f"/api/v1/patients/{patient_id}")
    api(outsider).get("/api/v1/patients")
    mine = _events(db, chain_key=nurse.clinic.id)
    theirs = _events(db, chain_key=outsider.clinic.id)
    assert [e.seq for e in mine] == list(range(1, len(mine) + 1))
    assert [e.seq for e in theirs] == list(range(1, len(theirs) + 1))
    assert theirs[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in pairwise(mine))
    assert audit.verify(db)[1] is None
