"""Email over SMTP, received by a real SMTP server in-process (aiosmtpd)."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pydantic import SecretStr
from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.notifications.delivery import deliver_due
from ketaclinic.notifications.service import queue
from ketaclinic.patients.models import Patient
from ketaclinic.settings import Settings
from tests.notifications.conftest import Inbox, _free_port
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
        link_path="/portal/sign-in/TOKEN1234567890",
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
    # "Lakeside Ketamine" would say ketamine on a lock screen: until the clinic chooses a
    # name for its messages, they say "your clinic".
    assert mail["Subject"] == "Your sign-in link for your clinic"
    body = mail.get_payload(decode=True).decode()
    assert "https://clinic.example.org/portal/sign-in/TOKEN1234567890" in body
    # Nothing in it may hint at the care, the clinic's name included.
    text = (body + mail["Subject"]).lower()
    assert not any(word in text for word in HEALTH_WORDS)
    db.refresh(message)
    assert message.status == "sent" and message.channel == "email" and message.attempts == 1
    assert message.link_path == "/portal/sign-in/TOKE…"  # the token is not kept once sent


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


def test_it_sends_over_starttls_and_signs_in_to_the_relay(
    db: Session,
    clinic: Clinic,
    patient: Patient,
    settings: Settings,
    tmp_path: Path,
    morning: datetime,
) -> None:
    if shutil.which("openssl") is None:
        # Like the browser tests: a local machine without it skips, CI never does.
        message = "needs openssl to make the relay's certificate"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    command += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
    command += ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, logins = Inbox(), []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        logins.append((auth.login, auth.password))
        return AuthResult(success=auth.password == b"relay-password")

    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        relay = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_security": "starttls",
                "smtp_ca_file": cert,
                "smtp_user": "clinic",
                "smtp_password": SecretStr("relay-password"),
            }
        )
        queue(
            db,
            clinic_id=clinic.id,
            patient_id=patient.id,
            template="consent_request",
            event_key="consent:tls",
        )
        db.commit()
        assert [o.status for o in deliver_due(db, settings=relay, now=morning)] == ["sent"]
    finally:
        controller.stop()
    assert logins == [(b"clinic", b"relay-password")]
    assert len(inbox.mails) == 1


def test_it_names_the_clinic_by_the_name_chosen_for_messages(
    db: Session,
    clinic: Clinic,
    patient: Patient,
    mail_settings: Settings,
    smtp_server: tuple[Inbox, int],
    morning: datetime,
) -> None:
    clinic.message_name = "Lakeside Wellness"
    queue(
        db,
        clinic_id=clinic.id,
        patient_id=patient.id,
        template="sign_in_link",
        event_key="sign_in:named",
        link_path="/portal/sign-in/TOKEN1234567890",
        urgent=True,
    )
    db.commit()
    deliver_due(db, settings=mail_settings, now=morning)
    inbox, _ = smtp_server
    assert [mail["Subject"] for _, mail in inbox.mails] == [
        "Your sign-in link for Lakeside Wellness"
    ]
    clinic.message_name = None
    db.commit()
