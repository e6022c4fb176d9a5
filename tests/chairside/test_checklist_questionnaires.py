"""The checklist's questionnaire item: the questionnaires the plan assigns for this
visit, done or not, naming the missing ones (a fallback when the plan assigns none)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment
from ketaclinic.auth.service import principal_for
from ketaclinic.chairside import service
from ketaclinic.chairside.models import SessionCheck
from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.ledger import service as ledger
from ketaclinic.measures import service as measures
from ketaclinic.measures.schemas import ResponseIn
from ketaclinic.patients.models import Patient
from ketaclinic.plans.service import PlanPolicy
from tests.chairside.conftest import MANUAL_CHECKS, Api, Chairside, reading
from tests.conftest import Persona

PHQ9_MILD = {f"phq9_{n}": 1 for n in range(1, 10)} | {"phq9_9": 0}
GAD7_MILD = {f"gad7_{n}": 1 for n in range(1, 8)}


def answered(db: Session, nurse: Persona, c: Chairside, instrument: str, answers: dict) -> None:
    visit = db.get(Appointment, c.appointment_id)
    patient = db.get(Patient, c.patient_id)
    assert visit is not None and patient is not None
    data = ResponseIn(
        instrument_id=instrument,
        answers=answers,
        completed_at=visit.starts_at - timedelta(hours=2),
        completed_by="patient",
    )
    measures.record_response(db, principal_for(db, nurse.user), patient, data)
    db.commit()


def questionnaire_check(api: Api, db: Session, nurse: Persona, c: Chairside) -> SessionCheck:
    sid = api(nurse).post(f"/api/v1/appointments/{c.appointment_id}/session", json={}).json()["id"]
    api(nurse).post(f"/api/v1/sessions/{sid}/vitals", json={"readings": [reading(0)]})
    checks = {k: {"result": v} for k, v in MANUAL_CHECKS.items()}
    out = api(nurse).post(f"/api/v1/sessions/{sid}/checklist", json={"items": checks})
    assert out.status_code == 200, out.text
    return db.scalars(
        select(SessionCheck).where(
            SessionCheck.session_id == sid, SessionCheck.item == "questionnaires_today"
        )
    ).one()


def test_it_names_the_assigned_questionnaire_still_missing(
    api: Api, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    answered(db, nurse, chairside, "phq9", PHQ9_MILD)
    check = questionnaire_check(api, db, nurse, chairside)
    assert check.result == "fail"
    assert "not done: Generalized Anxiety Disorder" in check.value
    assert "done: Patient Health Questionnaire-9" in check.value


def test_it_passes_when_every_assigned_questionnaire_is_done(
    api: Api, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    answered(db, nurse, chairside, "phq9", PHQ9_MILD)
    answered(db, nurse, chairside, "gad7", GAD7_MILD)
    check = questionnaire_check(api, db, nurse, chairside)
    assert check.result == "pass"
    assert check.value.startswith("done: ")


def test_it_falls_back_to_today_when_the_plan_assigns_none(
    api: Api, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    none_assigned = {
        pid: p.model_copy(update={"questionnaires": ()}) for pid, p in load_protocols().items()
    }
    policy = service.ChairsidePolicy(
        plan=PlanPolicy(protocols=none_assigned),
        ledger=ledger.LedgerPolicy(),
        rules=load_alert_rules(),
        checklist=load_checklist(),
        vocabulary=load_vocabulary(),
    )
    sid = (
        api(nurse)
        .post(f"/api/v1/appointments/{chairside.appointment_id}/session", json={})
        .json()["id"]
    )
    who = principal_for(db, nurse.user)
    chart = service.chart(db, who, sid, policy, audited=False)
    found = service.auto_checks(db, who, chart, policy)
    assert found["questionnaires_today"] == ("fail", "no questionnaire completed today")
