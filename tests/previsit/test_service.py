"""Questionnaires the plan assigns before each visit, read by staff and the patient,
and answered by the patient inside the window, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.kit.time import utcnow
from ketaclinic.measures.models import QuestionnaireResponse, SafetyAlert
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.previsit import errors, service
from ketaclinic.settings import Settings
from tests.conftest import Persona
from tests.previsit.conftest import Planned, in_hours

PHQ9_CALM = {f"phq9_{n}": 1 for n in range(1, 9)} | {"phq9_9": 0}
PHQ9_AT_RISK = PHQ9_CALM | {"phq9_9": 2}


def test_it_opens_the_phq9_and_gad7_48_hours_before_the_first_visit(
    db: Session, planned: Planned
) -> None:
    visit = planned.visit(db, in_hours(30))
    found = service.due_for_patient(db, planned.me, planned.patient_id)
    assert [(d.instrument.id, d.state) for d in found] == [("gad7", "open"), ("phq9", "open")]
    assert {d.opens_at for d in found} == {visit.starts_at - timedelta(hours=48)}
    assert {d.due_at for d in found} == {visit.starts_at}


def test_it_keeps_a_later_visit_upcoming_and_asks_the_gad7_weekly(
    db: Session, planned: Planned
) -> None:
    planned.visit(db, in_hours(30), 1)
    planned.visit(db, in_hours(30 + 72), 2)
    found = service.due_for_patient(db, planned.me, planned.patient_id)
    later = [d.instrument.id for d in found if d.visit.session_number == 2]
    assert later == ["phq9"]
    assert [d.state for d in found if d.visit.session_number == 2] == ["upcoming"]


def test_it_reads_the_clinics_open_hours(db: Session, planned: Planned, admin: Persona) -> None:
    from ketaclinic.clinics.models import ClinicSetting

    db.add(ClinicSetting(clinic_id=planned.clinic_id, key="questionnaire_open_hours", value="24"))
    db.commit()
    planned.visit(db, in_hours(30))
    found = service.due_for_patient(db, planned.me, planned.patient_id)
    assert {d.state for d in found} == {"upcoming"}


def test_it_lets_the_patient_answer_once_inside_the_window(db: Session, planned: Planned) -> None:
    visit = planned.visit(db, in_hours(30))
    row, alerts = service.complete(db, planned.me, "phq9", visit.id, PHQ9_CALM)
    db.commit()
    assert (row.completed_by, row.total, alerts) == ("patient", 8, [])
    states = {
        d.instrument.id: d.state
        for d in service.due_for_patient(db, planned.me, planned.patient_id)
    }
    assert states == {"phq9": "done", "gad7": "open"}
    with pytest.raises(errors.AssignmentNotOpen, match="already answered"):
        service.complete(db, planned.me, "phq9", visit.id, PHQ9_CALM)


def test_it_refuses_an_answer_before_the_window_opens(db: Session, planned: Planned) -> None:
    visit = planned.visit(db, in_hours(72))
    with pytest.raises(errors.AssignmentNotOpen, match="not open yet"):
        service.complete(db, planned.me, "phq9", visit.id, PHQ9_CALM)


def test_it_refuses_an_answer_after_check_in_time(db: Session, planned: Planned) -> None:
    visit = planned.visit(db, in_hours(2))
    later = time_machine.travel(visit.starts_at + timedelta(minutes=5))
    with later, pytest.raises(errors.AssignmentNotOpen, match="passed"):
        service.complete(db, planned.me, "phq9", visit.id, PHQ9_CALM)


def test_it_refuses_a_questionnaire_the_plan_does_not_assign(db: Session, planned: Planned) -> None:
    visit = planned.visit(db, in_hours(30))
    with pytest.raises(errors.AssignmentNotFound):
        service.complete(db, planned.me, "pcl5", visit.id, {})


def test_it_raises_the_safety_alert_for_a_suicide_risk_answer(
    db: Session, planned: Planned
) -> None:
    visit = planned.visit(db, in_hours(30))
    row, alerts = service.complete(db, planned.me, "phq9", visit.id, PHQ9_AT_RISK)
    db.commit()
    assert [a.kind for a in alerts] == ["suicide_risk"]
    stored = db.scalars(select(SafetyAlert).where(SafetyAlert.response_id == row.id)).all()
    assert len(stored) == 1


def test_it_records_the_patients_account_as_the_actor(db: Session, planned: Planned) -> None:
    visit = planned.visit(db, in_hours(30))
    service.complete(db, planned.me, "phq9", visit.id, PHQ9_CALM)
    db.commit()
    # This patient's: an end-to-end test in the same run commits events of its own.
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "patient.questionnaire.create",
            AuditEvent.patient_id == planned.patient_id,
        )
    ).one()
    assert event.actor == f"patient-account:{planned.account.id}"


def test_it_shows_another_patients_questionnaires_to_no_one_but_staff(
    db: Session, planned: Planned, nurse: Persona, outsider: Persona
) -> None:
    planned.visit(db, in_hours(30))
    stranger = PortalPatient(
        planned.account.id + 1000, planned.patient_id + 1000, planned.clinic_id
    )
    with pytest.raises(errors.PatientNotFound):
        service.due_for_patient(db, stranger, planned.patient_id)
    assert len(service.due_for_patient(db, principal_for(db, nurse.user), planned.patient_id)) == 2
    with pytest.raises(errors.PatientNotFound):
        service.due_for_patient(db, principal_for(db, outsider.user), planned.patient_id)


def test_it_stores_nothing_for_answers_that_do_not_score(db: Session, planned: Planned) -> None:
    from ketaclinic.kit.errors import ValidationFailed

    visit = planned.visit(db, in_hours(30))
    with pytest.raises(ValidationFailed):
        service.complete(db, planned.me, "phq9", visit.id, {"phq9_1": 1})
    mine = QuestionnaireResponse.patient_id == planned.patient_id
    assert db.scalars(select(QuestionnaireResponse).where(mine)).all() == []


def test_it_queues_one_questionnaire_notice_per_visit_from_when_it_opens(
    db: Session, planned: Planned
) -> None:
    from ketaclinic.notifications.models import Message

    soon = planned.visit(db, in_hours(30), 1)
    later = planned.visit(db, in_hours(40), 2)
    assert service.queue_due_notices(db, [planned.clinic_id]) == 2
    assert service.queue_due_notices(db, [planned.clinic_id]) == 0
    mine = Message.patient_id == planned.patient_id
    rows = db.scalars(select(Message).where(mine).order_by(Message.id)).all()
    assert [r.event_key for r in rows] == [
        f"questionnaire_due:{soon.id}",
        f"questionnaire_due:{later.id}",
    ]
    assert {r.template for r in rows} == {"questionnaire_due"}
    assert {r.link_path for r in rows} == {"/portal/forms"}
    # The second visit's questionnaire opens when the first visit starts.
    assert rows[1].not_before == soon.starts_at


def test_it_queues_no_notice_once_everything_is_answered(db: Session, planned: Planned) -> None:
    visit = planned.visit(db, in_hours(30))
    service.complete(db, planned.me, "phq9", visit.id, PHQ9_CALM)
    service.complete(db, planned.me, "gad7", visit.id, {f"gad7_{n}": 0 for n in range(1, 8)})
    assert service.queue_due_notices(db, [planned.clinic_id]) == 0


def test_it_queues_the_questionnaire_notice_in_the_scan_the_worker_runs(
    db: Session, planned: Planned, settings: Settings
) -> None:
    from ketaclinic.cli_notify import send_due
    from ketaclinic.notifications.models import Message

    visit = planned.visit(db, in_hours(30))
    assert send_due(db, settings, utcnow()).queued["questionnaire_due"] >= 1
    send_due(db, settings, utcnow())  # never twice
    keys = db.scalars(
        select(Message.event_key).where(
            Message.template == "questionnaire_due", Message.patient_id == planned.patient_id
        )
    )
    assert list(keys) == [f"questionnaire_due:{visit.id}"]
