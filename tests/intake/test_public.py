"""The public consultation request and the front desk's inquiry queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.models import Clinic
from ketaclinic.intake.models import Inquiry
from ketaclinic.patients.models import Patient
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def request_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "given_name": "Rosa",
        "family_name": "Quintero",
        "phone": "512-555-0188",
        "email": "",
        "preferred_times": "weekday mornings",
        "q_concern": "depression",
        "q_prior_treatments": "two_plus",
        "consent_to_contact": "yes",
        "website": "",
    }
    form.update(overrides)
    return form


def _inquiries(db: Session, clinic: Clinic) -> list[Inquiry]:
    # By clinic: browser tests commit requests of their own clinics for real.
    stmt = select(Inquiry).where(Inquiry.clinic_id == clinic.id)
    return list(db.scalars(stmt.order_by(Inquiry.id)))


def test_it_takes_a_request_and_never_gives_a_verdict(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    page = client.get(f"/consult/{clinic.slug}")
    assert page.status_code == 200
    assert "A clinician decides" in page.text
    done = client.post(f"/consult/{clinic.slug}", data=request_form())
    assert done.status_code == 200 and "Thank you" in done.text
    assert "eligible" not in done.text.lower()
    [inquiry] = _inquiries(db, clinic)
    assert (inquiry.given_name, inquiry.phone, inquiry.status) == ("Rosa", "+15125550188", "new")
    assert inquiry.answers == '{"concern": "depression", "prior_treatments": "two_plus"}'
    # The trail notes a request arrived, without the address it came from.
    [event] = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "inquiry.create", AuditEvent.clinic_id == clinic.id
        )
    )
    assert event.ip == "" and event.user_agent == "" and event.actor == "public"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent_to_contact": ""}, "consent_to_contact", "tick the box"),
        ({"phone": "", "email": ""}, "phone", "phone number or an email"),
        ({"given_name": ""}, "given_name", ""),
        ({"email": "not-an-email", "phone": ""}, "email", ""),
        ({"q_concern": "world-peace"}, "answers.concern", "not one of the choices"),
    ],
)
def test_it_names_what_is_wrong_and_keeps_nothing(
    client: TestClient,
    clinic: Clinic,
    db: Session,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client.post(f"/consult/{clinic.slug}", data=request_form(**overrides))
    assert response.status_code == 422
    assert f'href="#f-{field.replace(".", "-")}"' in response.text
    assert message in response.text
    assert _inquiries(db, clinic) == []


def test_it_names_each_field_in_the_summary(client: TestClient, clinic: Clinic) -> None:
    """Two required names left empty: the summary says which, not "is required" twice."""
    form = request_form(given_name="", family_name="")
    response = client.post(f"/consult/{clinic.slug}", data=form)
    assert response.status_code == 422
    summary = response.text.split('class="error-summary"')[1].split("</ul>")[0]
    assert ">First name is required<" in summary and ">Last name is required<" in summary


def test_it_thanks_a_bot_and_stores_nothing(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    response = client.post(f"/consult/{clinic.slug}", data=request_form(website="http://spam"))
    assert response.status_code == 200 and "Thank you" in response.text
    assert _inquiries(db, clinic) == []


def test_it_slows_down_a_flood_from_one_address(
    app: FastAPI, client: TestClient, clinic: Clinic, db: Session
) -> None:
    app.state.settings.inquiry_rate_limit = "2/hour"
    codes = [
        client.post(f"/consult/{clinic.slug}", data=request_form()).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert len(_inquiries(db, clinic)) == 2


def test_it_answers_an_unknown_clinic_with_not_found(client: TestClient) -> None:
    assert client.get("/consult/nowhere").status_code == 404


def test_it_queues_requests_and_converts_one_into_a_patient(
    client: TestClient, api: Api, clinic: Clinic, front_desk: Persona, db: Session
) -> None:
    client.post(f"/consult/{clinic.slug}", data=request_form())
    desk = api(front_desk)
    [listed] = desk.get("/api/v1/inquiries").json()["items"]
    queue = desk.get("/inquiries")
    assert "Quintero, Rosa" in queue.text and "New (1)" in queue.text
    detail = desk.get(f"/inquiries/{listed['id']}")
    assert "Two or more" in detail.text
    missing = desk.post(f"/inquiries/{listed['id']}/convert", data={"sex_at_birth": "female"})
    assert missing.status_code == 422 and "birth_date" in missing.text
    made = desk.post(
        f"/inquiries/{listed['id']}/convert",
        data={"birth_date": "1990-05-04", "sex_at_birth": "female"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    patient = db.scalars(select(Patient).where(Patient.family_name == "Quintero")).one()
    assert made.headers["location"] == f"/patients/{patient.id}"
    assert patient.phone == "+15125550188" and patient.clinic_id == clinic.id
    again = desk.post(
        f"/api/v1/inquiries/{listed['id']}/convert",
        json={"birth_date": "1990-05-04", "sex_at_birth": "female"},
    )
    assert again.status_code == 409
    assert (
        desk.get("/api/v1/inquiries", params={"status": "converted"}).json()["items"][0][
            "patient_id"
        ]
        == patient.id
    )


def test_it_keeps_requests_within_their_clinic(
    client: TestClient,
    api: Api,
    clinic: Clinic,
    outsider: Persona,
    custodian: Persona,
    db: Session,
) -> None:
    client.post(f"/consult/{clinic.slug}", data=request_form())
    inquiry_id = _inquiries(db, clinic)[0].id
    assert api(outsider).get("/api/v1/inquiries").json()["items"] == []
    assert api(outsider).get(f"/inquiries/{inquiry_id}").status_code == 404
    assert api(custodian).get("/inquiries").status_code == 403
    count = db.scalar(select(func.count()).select_from(Patient))
    body = {"birth_date": "1990-05-04", "sex_at_birth": "female"}
    assert (
        api(outsider).post(f"/api/v1/inquiries/{inquiry_id}/convert", json=body).status_code == 404
    )
    assert db.scalar(select(func.count()).select_from(Patient)) == count


def test_it_marks_a_request_contacted(
    client: TestClient, api: Api, clinic: Clinic, front_desk: Persona, db: Session
) -> None:
    client.post(f"/consult/{clinic.slug}", data=request_form())
    inquiry_id = _inquiries(db, clinic)[0].id
    response = api(front_desk).post(
        f"/api/v1/inquiries/{inquiry_id}/status", json={"status": "contacted"}
    )
    assert response.json()["status"] == "contacted"
