"""Who may touch patient data: 401 without credentials, 403 for the wrong role or
another clinic."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.auth.models import ApiToken
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/patients"),
        ("post", "/api/v1/patients"),
        ("get", "/api/v1/patients/1"),
        ("patch", "/api/v1/patients/1"),
        ("post", "/api/v1/patients/1/measurements"),
        ("get", "/api/v1/me"),
    ],
)
def test_it_answers_401_without_credentials(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json={})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_answers_401_for_an_unknown_or_revoked_token(
    app: object, client: TestClient, nurse: Persona, db: Session
) -> None:
    assert (
        client.get("/api/v1/patients", headers={"Authorization": "Bearer kc_nope"}).status_code
        == 401
    )
    assert (
        client.get(
            "/api/v1/patients", headers={"Authorization": f"Basic {nurse.token}"}
        ).status_code
        == 401
    )
    for row in db.scalars(select(ApiToken).where(ApiToken.user_id == nurse.user.id)):
        row.revoked_at = utcnow()
    db.commit()
    revoked = client.get("/api/v1/patients", headers={"Authorization": f"Bearer {nurse.token}"})
    assert revoked.status_code == 401


def test_it_lets_clinical_roles_read_and_write(
    api: Api,
    admin: Persona,
    prescriber: Persona,
    nurse: Persona,
    front_desk: Persona,
    patient_id: int,
) -> None:
    for persona in (admin, prescriber, nurse, front_desk):
        client = api(persona)
        assert client.get(f"/api/v1/patients/{patient_id}").status_code == 200
        assert (
            client.patch(f"/api/v1/patients/{patient_id}", json={"city": "Austin"}).status_code
            == 200
        )


def test_it_forbids_the_custodian_from_patient_charts(
    api: Api, custodian: Persona, patient_id: int, db: Session
) -> None:
    client = api(custodian)
    assert client.get("/api/v1/patients").status_code == 403
    assert client.get(f"/api/v1/patients/{patient_id}").status_code == 403
    before = db.scalar(select(func.count()).select_from(Patient))
    created = client.post("/api/v1/patients", json=valid_patient())
    assert created.status_code == 403
    assert created.json()["error"]["code"] == "role_not_allowed"
    assert db.scalar(select(func.count()).select_from(Patient)) == before


def test_it_forbids_a_user_of_another_clinic(
    api: Api, outsider: Persona, patient_id: int, db: Session
) -> None:
    # Another clinic's patient is "not found": its existence is not confirmed.
    client = api(outsider)
    assert client.get(f"/api/v1/patients/{patient_id}").status_code == 404
    response = client.patch(f"/api/v1/patients/{patient_id}", json={"family_name": "Hijacked"})
    assert response.status_code == 404
    assert (
        client.post(
            f"/api/v1/patients/{patient_id}/measurements", json={"weight_kg": 80}
        ).status_code
        == 404
    )
    assert db.get(Patient, patient_id).family_name == "Lindqvist"  # type: ignore[union-attr]


def test_it_lists_only_the_users_own_clinic(api: Api, outsider: Persona, patient_id: int) -> None:
    body = api(outsider).get("/api/v1/patients").json()
    assert body["total"] == 0
    mine = api(outsider).post("/api/v1/patients", json=valid_patient(family_name="Hillside")).json()
    assert mine["clinic_id"] == outsider.clinic.id
    assert [p["family_name"] for p in api(outsider).get("/api/v1/patients").json()["items"]] == [
        "Hillside"
    ]


def test_it_refuses_to_create_a_patient_in_another_clinic(
    api: Api, nurse: Persona, outsider: Persona
) -> None:
    response = api(nurse).post("/api/v1/patients", json=valid_patient(clinic_id=outsider.clinic.id))
    assert response.status_code == 403


def test_it_tells_an_api_client_who_it_is(api: Api, nurse: Persona) -> None:
    body = api(nurse).get("/api/v1/me").json()
    assert body["email"] == nurse.email
    assert body["clinics"] == [{"clinic_id": nurse.clinic.id, "role": "nurse"}]
