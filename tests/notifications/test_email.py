"""Email over SMTP, received by a real SMTP server in-process (aiosmtpd)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.notifications.delivery import deliver_due
from ketaclinic.notifications.service import queue
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings
from tests.notifications.conftest import Inbox
from tests.notifications.test_templates import HEALTH_WORDS


def test_it_emails_the_sign_in_link_with_no_health_information(
    db: Session,
    clinic: Clinic,
    patient: Patient,
    mail_settings: Settings,
    smtp_server: tuple[Inbox, int],
    morning: datetime,
) -> None:
    message = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="sign_in_link",
        event_key="sign_in:42",
        link_path="/portal/sign-in/TOKEN123",
        urgent=True,
    )
    assert message is not None
    db.commit()
    outcomes = deliver_due(db, settings=mail_settings, now=morning)
    assert [o.status for o in outcomes] == ["sent"]
    inbox, _ = smtp_server
    assert len(inbox.mails) == 1
    to, mail = inbox.mails[0]
    assert to == ["ana.reyes@example.org"]
    assert mail["From"] == "Lakeside <no-reply@lakeside.example.org>"
    assert mail["To"] == "ana.reyes@example.org"
    assert mail["Subject"] == "Your sign-in link for Lakeside Ketamine"
    body = mail.get_payload(decode=True).decode()
    assert "https://clinic.example.org/portal/sign-in/TOKEN123" in body
    # The clinic's own name is the patient's to see; nothing else may hint at care.
    text = (body + mail["Subject"]).replace("Lakeside Ketamine", "the clinic").lower()
    assert not any(word in text for word in HEALTH_WORDS)
    db.refresh(message)
    assert message.status == "sent" and message.channel == "email" and message.attempts == 1


def test_it_sends_once_however_often_delivery_runs(
    db: Session,
    clinic: Clinic,
    patient: Patient,
    mail_settings: Settings,
    smtp_server: tuple[Inbox, int],
    morning: datetime,
) -> None:
    queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="consent_request",
        event_key="consent:1",
    )
    db.commit()
    deliver_due(db, settings=mail_settings, now=morning)
    deliver_due(db, settings=mail_settings, now=morning)
    again = queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="consent_request",
        event_key="consent:1",
    )
    db.commit()
    deliver_due(db, settings=mail_settings, now=morning)
    assert again is None
    assert len(smtp_server[0].mails) == 1
