"""The page a patient opens from a one-time link: no account, no JavaScript needed,
one questionnaire, once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit.time import utcnow
from ketaclinic.measures.models import QuestionnaireLink, QuestionnaireResponse, SafetyAlert
from tests.auth.test_login import login
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


def phq9_form(item9: int = 0, each: int = 1) -> dict[str, str]:
    answers = {f"phq9_{i}": str(each) for i in range(1, 9)}
    answers["phq9_9"] = str(item9)
    return answers


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


def _link(api: Api, persona: Persona, patient_id: int, instrument_id: str = "phq9") -> str:
    response = api(persona).post(
        f"/api/v1/patients/{patient_id}/questionnaire-links", json={"instrument_id": instrument_id}
    )
    assert response.status_code == 201, response.text
    return urlparse(response.json()["url"]).path


@pytest.fixture
def link_path(api: Api, front_desk: Persona, patient_id: int) -> str:
    return _link(api, front_desk, patient_id)


def _responses(db: Session, patient_id: int) -> list[QuestionnaireResponse]:
    stmt = select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient_id)
    return list(db.scalars(stmt))


def _link_row(db: Session, patient_id: int) -> QuestionnaireLink:
    stmt = select(QuestionnaireLink).where(QuestionnaireLink.patient_id == patient_id)
    return db.scalars(stmt).one()


def test_it_shows_the_questionnaire_to_an_anonymous_patient(
    client: TestClient, link_path: str
) -> None:
    page = client.get(link_path)
    assert page.status_code == 200
    html = page.text
    assert "Hi Maya" in html
    # Only the given name: nothing else that identifies the patient.
    assert "Lindqvist" not in html and "1984" not in html and "555" not in html
    assert "Patient Health Questionnaire-9 (PHQ-9)" in html and "last 2 weeks" in html
    assert "how often have you been bothered" in html
    assert html.count("<fieldset") == 10 and html.count("<legend>") == 10
    assert html.count('type="radio" name="phq9_1"') == 4
    assert "Thoughts that you would be better off dead" in html
    assert '<meta name="referrer" content="no-referrer">' in html
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    # No staff chrome, no scripts, no inline styles (the CSP forbids them anyway).
    assert "Sign out" not in html and "/patients" not in html
    assert "<script" not in html and "style=" not in html


def test_it_stores_the_patients_answers_once(
    client: TestClient, link_path: str, patient_id: int, db: Session
) -> None:
    done = client.post(link_path, data={**phq9_form(), "phq9_10": "1"})
    assert done.status_code == 200, done.text
    assert "Thank you, your answers were sent to your care team" in done.text
    # The patient never sees a score, a band or crisis lines they did not need.
    assert "988" not in done.text and "mild" not in done.text
    [row] = _responses(db, patient_id)
    assert (row.completed_by, row.entered_by_id) == ("patient", None)
    assert (row.total, row.band) == (8, "mild")
    link = _link_row(db, patient_id)
    assert link.used_at is not None and link.response_id == row.id

    again = client.post(link_path, data=phq9_form())
    assert again.status_code == 410
    assert "already completed" in again.text
    assert client.get(link_path).status_code == 410
    assert len(_responses(db, patient_id)) == 1


def test_it_refuses_an_expired_link(
    client: TestClient, link_path: str, patient_id: int, db: Session
) -> None:
    link = _link_row(db, patient_id)
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    page = client.get(link_path)
    assert page.status_code == 410 and "expired" in page.text
    assert client.post(link_path, data=phq9_form()).status_code == 410
    assert _responses(db, patient_id) == []


def test_it_answers_an_unknown_token_with_not_found(client: TestClient) -> None:
    page = client.get("/q/not-a-real-token")
    assert page.status_code == 404
    assert "not valid" in page.text and "<form" not in page.text
    assert client.post("/q/not-a-real-token", data=phq9_form()).status_code == 404
    assert client.get("/q/" + "x" * 200).status_code == 404


def test_it_names_a_missing_answer_and_keeps_the_others(
    client: TestClient, link_path: str, patient_id: int, db: Session
) -> None:
    form = phq9_form(each=2)
    del form["phq9_4"]
    form["phq9_6"] = "banana"  # not a number: treated as unanswered
    page = client.post(link_path, data=form)
    assert page.status_code == 422
    html = page.text
    assert "Question 4: Please choose an answer." in html
    assert "Question 6: Please choose an answer." in html
    assert re.search(r'id="q-phq9_4" class="question has-error" aria-describedby="e-phq9_4"', html)
    assert 'id="q-phq9_1" class="question"' in html
    # The answers already chosen stay chosen.
    assert re.search(r'name="phq9_1" value="2" checked', html)
    assert not re.search(r'name="phq9_1" value="[013]" checked', html)
    # Item 10 is optional and was not asked for.
    assert "Question 10" not in html and "(optional)" in html
    assert _responses(db, patient_id) == []
    # The link is still good: the patient fixes it and sends.
    assert client.post(link_path, data=phq9_form()).status_code == 200


def test_it_reports_an_out_of_range_answer_beside_the_item(
    client: TestClient, link_path: str
) -> None:
    page = client.post(link_path, data={**phq9_form(), "phq9_2": "7"})
    assert page.status_code == 422
    assert "Question 2: Please choose one of the answers shown." in page.text


def test_it_raises_a_safety_alert_and_shows_crisis_resources(
    client: TestClient, link_path: str, patient_id: int, db: Session
) -> None:
    done = client.post(link_path, data=phq9_form(item9=1))
    assert done.status_code == 200
    assert "Thank you, your answers were sent to your care team" in done.text
    assert "call or text" in done.text and "988" in done.text and "911" in done.text
    assert "Suicide &amp; Crisis Lifeline" in done.text
    [row] = _responses(db, patient_id)
    alert = db.scalars(select(SafetyAlert).where(SafetyAlert.patient_id == patient_id)).one()
    assert alert.response_id == row.id and alert.acknowledged_at is None
    assert alert.kind == "suicide_risk"


def test_it_audits_the_response_as_the_patient_link(
    client: TestClient, link_path: str, patient_id: int, db: Session
) -> None:
    client.post(link_path, data=phq9_form(item9=2), headers={"User-Agent": "PhoneBrowser/1.0"})
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.patient_id == patient_id)
        .where(AuditEvent.action.in_(["patient.questionnaire.create", "patient.alert.raise"]))
    ).all()
    assert {e.action for e in events} == {"patient.questionnaire.create", "patient.alert.raise"}
    for event in events:
        assert event.actor.startswith("patient-link:") and event.user_id is None
        assert event.user_agent == "PhoneBrowser/1.0"
    # Opening the link again is recorded too, refused: it was used.
    assert client.get(link_path).status_code == 410
    [reopened] = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "patient.questionnaire_link.open",
            AuditEvent.patient_id == patient_id,
        )
    ).all()
    assert reopened.outcome == "denied" and reopened.actor.startswith("patient-link:")


def test_it_refuses_a_link_for_a_clinician_rated_questionnaire(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    for instrument_id in ("madrs", "cssrs_screener"):
        response = api(nurse).post(
            f"/api/v1/patients/{patient_id}/questionnaire-links",
            json={"instrument_id": instrument_id},
        )
        assert response.status_code == 422
        assert "clinician-rated" in response.json()["error"]["fields"]["instrument_id"]


def test_it_needs_no_csrf_token_yet_a_staff_cookie_gains_nothing(
    client: TestClient, link_path: str, front_desk: Persona, patient_id: int, db: Session
) -> None:
    # A signed-in staff browser posting the patient's form is still just the link:
    # the route is public, the response is the patient's, and no CSRF is asked for.
    assert login(client, front_desk.email).status_code == 303
    done = client.post(link_path, data=phq9_form())
    assert done.status_code == 200
    [row] = _responses(db, patient_id)
    assert row.completed_by == "patient" and row.entered_by_id is None


def test_it_shows_a_gad7_from_its_own_definition(
    api: Api, client: TestClient, nurse: Persona, patient_id: int, db: Session
) -> None:
    path = _link(api, nurse, patient_id, "gad7")
    page = client.get(path)
    assert page.status_code == 200 and "GAD-7" in page.text
    answers = {f"gad7_{i}": "0" for i in range(1, 8)}
    assert client.post(path, data=answers).status_code == 200
    [row] = _responses(db, patient_id)
    assert (row.instrument_id, row.total) == ("gad7", 0)
