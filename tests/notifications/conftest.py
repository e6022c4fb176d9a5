"""A patient with an email address and a phone, for the notification tests."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Appointment
from ketaclinic.auth.service import principal_for
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.clinics.models import Clinic
from ketaclinic.notifications.models import Message
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.patients.service import create_patient
from tests.conftest import Persona


@pytest.fixture(autouse=True)
def _only_this_tests_messages(db: Session) -> None:
    """The scans and delivery are system work over every clinic, and the end-to-end
    tests of the same run commit for real (visits, discharges, links not yet sent). In
    this test's transaction, rolled back after it, what they left is set aside: their
    messages cancelled, visits cancelled, discharges forgotten."""
    db.execute(
        update(Message).where(Message.status.in_(("queued", "sending"))).values(status="cancelled")
    )
    db.execute(update(Appointment).where(Appointment.status == "booked").values(status="cancelled"))
    db.execute(
        update(ChairsideSession)
        .where(ChairsideSession.discharged_at.is_not(None))
        .values(discharged_at=None)
    )
    db.commit()


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

import socket  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import datetime  # noqa: E402
from email import message_from_bytes  # noqa: E402
from email.message import Message as Mail  # noqa: E402
from typing import Any  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

from ketaclinic.clinical.messaging import next_morning  # noqa: E402
from ketaclinic.kit.time import utcnow  # noqa: E402
from ketaclinic.settings import Settings  # noqa: E402


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


from tests.appointments.conftest import booking, chairs  # noqa: E402, F401
