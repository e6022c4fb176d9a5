"""A patient with an email address and a phone, for the notification tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import Message as Mail
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.auth.service import principal_for
from ketaclinic.clinical.messaging import next_morning
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message as Outbox
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from ketaclinic.settings import Settings
from tests.appointments.conftest import booking, chairs  # noqa: F401
from tests.conftest import Persona


@pytest.fixture
def patient(db: Session, nurse: Persona, clinic: Clinic) -> Patient:
    data = PatientCreate.model_validate(
        {
            "given_name": "Ana",
            "family_name": "Reyes",
            "birth_date": "1980-02-03",
            "sex_at_birth": "female",
            "email": "ana.reyes@example.org",
            "phone": "+13125550142",
            "clinic_id": clinic.id,
        }
    )
    made = create_patient(db, principal_for(db, nurse.user), data)
    db.commit()
    return made


# ---- a real SMTP server, in-process ----------------------------------------------


class Inbox:
    """What the SMTP server received: one parsed message per delivery."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Mail]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: tuple[Inbox, int]) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server[1],
            "smtp_security": "none",
            "smtp_from": "Lakeside <no-reply@lakeside.example.org>",
            "public_url": "https://clinic.example.org",
        }
    )


@pytest.fixture
def morning(clinic: Clinic) -> datetime:
    """10:00 tomorrow at the clinic: after anything queued now, inside the sending hours."""
    return next_morning(utcnow(), timezone=clinic.timezone, hour=10)


# ---- messages other tests left behind ------------------------------------------


@pytest.fixture(autouse=True)
def _earlier_messages_settled(session_factory: sessionmaker[Session]) -> None:
    """Delivery goes through every due message in the database, and the suite's
    database keeps what earlier tests committed (served pages book visits, which
    queue confirmations): those are settled as cancelled first, so each test's
    delivery sees its own messages only."""
    with session_factory() as session:
        session.execute(
            update(Outbox)
            .where(Outbox.status.in_(("queued", "sending")))
            .values(status="cancelled")
        )
        session.commit()
