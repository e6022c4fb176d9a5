"""Queueing a message: one outbox row in the caller's transaction, once per event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message, MessageEvent
from ketaclinic.notifications.service import queue
from ketaclinic.patients.models import Patient


def test_it_writes_one_row_and_its_first_status(
    db: Session, clinic: Clinic, patient: Patient
) -> None:
    message = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="sign_in_link",
        event_key="sign_in:1",
        link_path="/portal/sign-in/abc",
        urgent=True,
    )
    assert message is not None
    assert message.status == "queued" and message.urgent
    assert message.next_attempt_at == message.not_before
    events = db.scalars(select(MessageEvent).where(MessageEvent.message_id == message.id))
    assert [e.status for e in events] == ["queued"]


def test_it_never_queues_the_same_event_twice(
    db: Session, clinic: Clinic, patient: Patient
) -> None:
    first = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="questionnaire_due",
        event_key="due:7",
    )
    again = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="questionnaire_due",
        event_key="due:7",
        not_before=utcnow() + timedelta(hours=1),
    )
    assert first is not None and again is None
    keys = db.scalars(select(Message.event_key).where(Message.patient_id == patient.id))
    assert list(keys) == ["due:7"]


def test_it_refuses_an_unknown_template_and_a_visit_without_one(
    db: Session, clinic: Clinic, patient: Patient
) -> None:
    with pytest.raises(ValueError, match="unknown"):
        queue(db, clinic_id=clinic.id, patient_id=patient.id, template="nope", event_key="x")
    with pytest.raises(ValueError, match="appointment_id"):
        queue(
            db,
            clinic_id=clinic.id,
            patient_id=patient.id,
            template="visit_reminder",
            event_key="y",
        )


def test_it_reads_the_visits_start_when_the_caller_names_only_the_visit(
    db: Session, clinic: Clinic, patient: Patient
) -> None:
    from tests.notifications.test_scan import _visit

    start = utcnow() + timedelta(days=3)
    visit = _visit(db, clinic, patient, start)
    message = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="escort_request",
        event_key="escort:portal",
        appointment_id=visit.id,
    )
    assert message is not None and message.visit_starts_at == start
    with pytest.raises(ValueError, match="no appointment"):
        queue(
            db,
            clinic_id=clinic.id,
            patient_id=patient.id,
            template="escort_request",
            event_key="escort:nowhere",
            appointment_id=visit.id + 1000,
        )
