"""The portal's questionnaire pages: what is due and done, answering one in its
window (once), the crisis resources, and nothing of another patient's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.measures.models import QuestionnaireResponse, SafetyAlert
from tests.portal.conftest import SignIn, csrf_of
from tests.previsit.conftest import Planned, in_hours

CALM = {f"phq9_{n}": "1" for n in range(1, 9)} | {"phq9_9": "0"}


def test_it_lists_what_is_due_with_a_link_to_answer(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    visit = planned.visit(db, in_hours(30))
    page = sign_in(planned.account).get("/portal/questionnaires")
    assert page.status_code == 200
    assert f'href="/portal/questionnaires/{visit.id}/phq9"' in page.text
    assert "Patient Health Questionnaire-9" in page.text
    assert 'aria-current="page">Questionnaires' in page.text


def test_it_takes_the_answers_once_and_shows_them_done(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    visit = planned.visit(db, in_hours(30))
    browser = sign_in(planned.account)
    path = f"/portal/questionnaires/{visit.id}/phq9"
    form = browser.get(path)
    assert form.status_code == 200
    assert 'name="phq9_9"' in form.text
    sent = browser.post(path, data=CALM | {"csrf_token": csrf_of(db, browser)})
    assert sent.status_code == 200, sent.text
    assert "Answers sent" in sent.text
    assert "Help is available now" not in sent.text
    listed = browser.get("/portal/questionnaires")
    assert "Done</span> Patient Health Questionnaire-9" in listed.text
    again = browser.get(path)
    assert again.status_code == 409
    assert "already answered" in again.text
    twice = browser.post(path, data=CALM | {"csrf_token": csrf_of(db, browser)})
    assert twice.status_code == 409
    mine = QuestionnaireResponse.patient_id == planned.patient_id
    assert len(db.scalars(select(QuestionnaireResponse).where(mine)).all()) == 1


def test_it_names_the_questions_still_unanswered(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    visit = planned.visit(db, in_hours(30))
    browser = sign_in(planned.account)
    partial = {k: v for k, v in CALM.items() if k != "phq9_4"}
    sent = browser.post(
        f"/portal/questionnaires/{visit.id}/phq9",
        data=partial | {"csrf_token": csrf_of(db, browser)},
    )
    assert sent.status_code == 422
    assert "Question 4: Please choose an answer." in sent.text
    assert 'value="1" checked' in sent.text


def test_it_shows_crisis_resources_and_raises_the_alert(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    visit = planned.visit(db, in_hours(30))
    browser = sign_in(planned.account)
    sent = browser.post(
        f"/portal/questionnaires/{visit.id}/phq9",
        data=CALM | {"phq9_9": "1", "csrf_token": csrf_of(db, browser)},
    )
    assert sent.status_code == 200
    assert "Help is available now" in sent.text
    assert 'href="tel:988"' in sent.text
    alerts = select(SafetyAlert).where(SafetyAlert.patient_id == planned.patient_id)
    assert len(db.scalars(alerts).all()) == 1


def test_it_says_when_a_questionnaire_is_not_open_yet(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    visit = planned.visit(db, in_hours(80))
    browser = sign_in(planned.account)
    listed = browser.get("/portal/questionnaires")
    assert "Coming up" in listed.text
    page = browser.get(f"/portal/questionnaires/{visit.id}/phq9")
    assert page.status_code == 409
    assert "not open yet" in page.text


def test_it_refuses_a_form_without_the_session_token(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    visit = planned.visit(db, in_hours(30))
    sent = sign_in(planned.account).post(f"/portal/questionnaires/{visit.id}/phq9", data=CALM)
    assert sent.status_code == 403
    mine = QuestionnaireResponse.patient_id == planned.patient_id
    assert db.scalars(select(QuestionnaireResponse).where(mine)).all() == []


def test_it_answers_another_patients_visit_as_not_found(
    db: Session,
    planned: Planned,
    sign_in: SignIn,
    api,
    nurse,
    prescriber,  # type: ignore[no-untyped-def]
) -> None:
    from tests.previsit.conftest import planned_patient

    noor = planned_patient(db, api, nurse, prescriber, given_name="Noor")
    theirs = noor.visit(db, in_hours(30))
    page = sign_in(planned.account).get(f"/portal/questionnaires/{theirs.id}/phq9")
    assert page.status_code == 404


def test_it_takes_the_messages_forms_link_to_the_list(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    planned.visit(db, in_hours(30))
    landing = sign_in(planned.account).get("/portal/forms", follow_redirects=False)
    assert landing.status_code == 303
    assert landing.headers["location"] == "/portal/questionnaires"
