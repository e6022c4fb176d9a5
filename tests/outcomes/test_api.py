"""The course and booster suggestions API: GET /api/v1/patients/{id}/course,
GET /api/v1/booster-suggestions, POST .../accept and .../dismiss."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes.models import BoosterDecision, BoosterSuggestion
from tests.conftest import Persona
from tests.outcomes.helpers import Api, course_patient, evaluate


def test_it_gives_the_course_with_induction_summary_and_durability(
    api: Api, nurse: Persona
) -> None:
    patient_id = course_patient(api, nurse, relapse=False)
    body = api(nurse).get(f"/api/v1/patients/{patient_id}/course").json()
    induction = body["induction"]
    assert induction["sessions"] == 6 and induction["completed"]
    assert induction["span_days"] == 18
    assert induction["reason"] == "6 treatments over 18 days"
    [phq9] = body["instruments"]
    assert phq9["instrument_name"].startswith("Patient Health Questionnaire-9")
    assert phq9["baseline"]["total"] == 20
    assert phq9["end_of_induction"]["total"] == 8  # Oct 1 is day 30: in the window
    assert phq9["change"] == -12 and phq9["response"] is True and phq9["remission"] is False
    assert phq9["durability"]["censored"] is True
    assert [t["kind"] for t in body["treatments"]] == ["induction"] * 6
    assert body["first_booster"]["censored"] is True
    assert body["suggestions"] == []


def test_it_suggests_a_booster_once_and_lists_it_for_a_prescriber(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    first = api(prescriber).get(f"/api/v1/patients/{patient_id}/course").json()
    [suggestion] = first["suggestions"]
    assert [s["total"] for s in suggestion["evidence"]["scores"]] == [16, 17]
    assert suggestion["summary"].startswith("Patient Health Questionnaire-9")
    assert "16 on Oct 20, 2026 and 17 on Oct 27, 2026" in suggestion["summary"]
    assert "within 25% of the baseline of 20" in suggestion["summary"]
    # Opening it again, and the list, store nothing new.
    api(prescriber).get(f"/api/v1/patients/{patient_id}/course")
    listed = api(prescriber).get("/api/v1/booster-suggestions").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == suggestion["id"]
    mine = BoosterSuggestion.patient_id == patient_id
    count = db.scalar(select(func.count()).select_from(BoosterSuggestion).where(mine))
    assert count == 1
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient_id)))
    assert {"patient.booster.suggest", "patient.course.read"} <= actions
    listing = select(AuditEvent.detail).where(AuditEvent.action == "patient.booster.list")
    assert any(str(suggestion["id"]) in str(d) for d in db.scalars(listing))
    # A nurse sees the course but decides nothing: her list is empty.
    assert api(nurse).get("/api/v1/booster-suggestions").json()["total"] == 0


def test_it_dismisses_with_a_reason_and_only_once(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    [s] = api(prescriber).get(f"/api/v1/patients/{patient_id}/course").json()["suggestions"]
    url = f"/api/v1/booster-suggestions/{s['id']}/dismiss"
    blank = api(prescriber).post(url, json={"reason": "  "})
    assert blank.status_code == 422
    assert "reason" in blank.json()["error"]["fields"]
    assert api(nurse).post(url, json={"reason": "Doing well"}).status_code == 403
    done = api(prescriber).post(url, json={"reason": "Stressful month; review in 2 weeks"})
    assert done.status_code == 201, done.text
    assert done.json()["decision"] == "dismissed"
    again = api(prescriber).post(url, json={"reason": "twice"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "booster_suggestion_decided"
    assert api(prescriber).get("/api/v1/booster-suggestions").json()["total"] == 0
    decision = db.scalars(
        select(BoosterDecision).where(BoosterDecision.patient_id == patient_id)
    ).one()
    assert decision.decided_by_id == prescriber.user.id
    mine = select(AuditEvent.action).where(AuditEvent.patient_id == patient_id)
    assert "patient.booster.dismiss" in set(db.scalars(mine))


def test_it_accepts_and_points_to_a_plan_on_the_booster_protocol(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    [s] = api(prescriber).get(f"/api/v1/patients/{patient_id}/course").json()["suggestions"]
    done = api(prescriber).post(f"/api/v1/booster-suggestions/{s['id']}/accept")
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["decision"] == "accepted" and body["reason"] is None
    assert body["next"].startswith(f"/patients/{patient_id}/plans/new")


def test_it_hides_another_clinics_suggestion(
    api: Api, nurse: Persona, prescriber: Persona, outsider: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    [s] = api(prescriber).get(f"/api/v1/patients/{patient_id}/course").json()["suggestions"]
    assert api(outsider).get(f"/api/v1/patients/{patient_id}/course").status_code == 404
    refused = api(outsider).post(
        f"/api/v1/booster-suggestions/{s['id']}/dismiss", json={"reason": "not mine"}
    )
    assert refused.status_code in (403, 404)


def test_it_keeps_suggestions_and_decisions_append_only(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    [s] = api(prescriber).get(f"/api/v1/patients/{patient_id}/course").json()["suggestions"]
    api(prescriber).post(
        f"/api/v1/booster-suggestions/{s['id']}/dismiss", json={"reason": "ok then"}
    )
    for statement in (
        "UPDATE booster_suggestions SET rule_id = 'x'",
        "DELETE FROM booster_suggestions",
        "UPDATE booster_decisions SET reason = 'x'",
        "DELETE FROM booster_decisions",
    ):
        with pytest.raises(DBAPIError, match=r"append-only|refuse"), db.begin_nested():
            db.execute(text(statement))
