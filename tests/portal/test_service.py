"""Patient accounts: the invitation, the one-time links, passwords and codes."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message
from ketaclinic.patients.errors import PatientNotFound
from ketaclinic.patients.models import Patient
from ketaclinic.portal import service
from ketaclinic.portal.errors import (
    PortalCodeWrong,
    PortalEmailTaken,
    PortalLinkUnusable,
    PortalNoEmail,
    PortalPasswordWeak,
    PortalTooManyTries,
)
from ketaclinic.portal.models import PatientAccount
from tests.conftest import Persona
from tests.portal.conftest import make_patient

ORIGIN = Origin(channel="portal", ip="203.0.113.9")
KEY = "test-secret-key"


def _staff(db: Session, persona: Persona) -> Principal:
    return principal_for(db, persona.user)


def _token(message: Message) -> str:
    assert message.link_path is not None
    return message.link_path.rsplit("/", 1)[1]


def _newest_message(db: Session, template: str) -> Message:
    found = db.scalars(
        select(Message).where(Message.template == template).order_by(Message.id.desc())
    ).first()
    assert found is not None
    return found


def test_it_invites_a_patient_by_email_and_audits_it(
    db: Session, front_desk: Persona, maya: Patient
) -> None:
    account = service.invite(db, _staff(db, front_desk), maya.id)
    db.commit()
    assert account.status == "invited" and account.email == "maya@example.net"
    message = _newest_message(db, "portal_invitation")
    assert message.patient_id == maya.id
    assert message.link_path is not None and message.link_path.startswith("/portal/welcome/")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "portal.invited")).one()
    assert event.patient_id == maya.id and event.user_id == front_desk.user.id


def test_it_keeps_only_the_links_hash(db: Session, front_desk: Persona, maya: Patient) -> None:
    service.invite(db, _staff(db, front_desk), maya.id)
    token = _token(_newest_message(db, "portal_invitation"))
    link, _account = service.open_link(db, token, service.INVITATION)
    assert token not in link.token_hash and len(link.token_hash) == 64


def test_it_refuses_to_invite_a_patient_without_an_email(
    db: Session, front_desk: Persona, clinic: Clinic
) -> None:
    patient = make_patient(db, clinic, "Ines", email="")
    with pytest.raises(PortalNoEmail):
        service.invite(db, _staff(db, front_desk), patient.id)


def test_it_hides_another_clinics_patient(db: Session, outsider: Persona, maya: Patient) -> None:
    with pytest.raises(PatientNotFound):
        service.invite(db, _staff(db, outsider), maya.id)


def test_it_refuses_an_address_another_account_uses(
    db: Session, front_desk: Persona, clinic: Clinic, maya_account: PatientAccount
) -> None:
    twin = make_patient(db, clinic, "Mia", email="MAYA@example.net")
    with pytest.raises(PortalEmailTaken):
        service.invite(db, _staff(db, front_desk), twin.id)


def test_it_activates_the_account_from_the_invitation_once(
    db: Session, front_desk: Persona, maya: Patient
) -> None:
    service.invite(db, _staff(db, front_desk), maya.id)
    token = _token(_newest_message(db, "portal_invitation"))
    account = service.accept_invitation(
        db, token, "a long enough passphrase", min_length=12, origin=ORIGIN
    )
    assert account.status == "active" and account.password_hash is not None
    with pytest.raises(PortalLinkUnusable):
        service.accept_invitation(db, token, "", min_length=12, origin=ORIGIN)


def test_it_refuses_a_short_password_on_set_up(
    db: Session, front_desk: Persona, maya: Patient
) -> None:
    service.invite(db, _staff(db, front_desk), maya.id)
    token = _token(_newest_message(db, "portal_invitation"))
    with pytest.raises(PortalPasswordWeak):
        service.accept_invitation(db, token, "short", min_length=12, origin=ORIGIN)


def test_it_lets_an_invitation_expire(db: Session, front_desk: Persona, maya: Patient) -> None:
    service.invite(db, _staff(db, front_desk), maya.id)
    token = _token(_newest_message(db, "portal_invitation"))
    with time_machine.travel(utcnow() + timedelta(days=8)), pytest.raises(PortalLinkUnusable):
        service.open_link(db, token, service.INVITATION)


def _ask(db: Session, email: str, ip: str = "203.0.113.9") -> None:
    service.request_sign_in_link(db, email, ip=ip, secret_key=KEY, origin=ORIGIN)


def test_it_emails_a_sign_in_link_to_an_active_account(
    db: Session, maya_account: PatientAccount
) -> None:
    _ask(db, " Maya@Example.net ")
    message = _newest_message(db, "sign_in_link")
    account = service.sign_in_with_link(db, _token(message), ORIGIN)
    assert account.id == maya_account.id


def test_it_sends_nothing_for_an_unknown_address_and_says_nothing(db: Session) -> None:
    _ask(db, "nobody@example.net")  # no error: the page answers the same
    assert db.scalars(select(Message).where(Message.template == "sign_in_link")).first() is None


def test_it_makes_the_sign_in_link_single_use_and_short_lived(
    db: Session, maya_account: PatientAccount
) -> None:
    _ask(db, "maya@example.net")
    token = _token(_newest_message(db, "sign_in_link"))
    with time_machine.travel(utcnow() + timedelta(minutes=16)), pytest.raises(PortalLinkUnusable):
        service.sign_in_with_link(db, token, ORIGIN)
    service.sign_in_with_link(db, token, ORIGIN)
    with pytest.raises(PortalLinkUnusable):
        service.sign_in_with_link(db, token, ORIGIN)


def test_it_does_not_take_an_invitation_for_a_sign_in_link(
    db: Session, front_desk: Persona, maya: Patient
) -> None:
    service.invite(db, _staff(db, front_desk), maya.id)
    token = _token(_newest_message(db, "portal_invitation"))
    with pytest.raises(PortalLinkUnusable):
        service.sign_in_with_link(db, token, ORIGIN)


def test_it_limits_links_asked_for_one_address(db: Session, maya_account: PatientAccount) -> None:
    for n in range(5):
        _ask(db, "maya@example.net", ip=f"198.51.100.{n}")
    with pytest.raises(PortalTooManyTries):
        _ask(db, "maya@example.net", ip="198.51.100.99")
    _ask(db, "noor@example.net", ip="198.51.100.99")  # another address is not held up


def test_it_limits_links_asked_for_from_one_network_address(db: Session) -> None:
    for n in range(30):
        _ask(db, f"someone{n}@example.net")
    with pytest.raises(PortalTooManyTries):
        _ask(db, "someone-else@example.net")


def _password(db: Session, email: str, password: str) -> PatientAccount:
    return service.sign_in_with_password(
        db, email, password, ip="203.0.113.9", secret_key=KEY, origin=ORIGIN
    )


def test_it_signs_in_with_a_password(db: Session, maya_account: PatientAccount) -> None:
    service.set_password(maya_account, "a long enough passphrase", 12)
    assert _password(db, "maya@example.net", "a long enough passphrase").id == maya_account.id


@pytest.mark.parametrize("email", ["maya@example.net", "nobody@example.net"])
def test_it_refuses_a_wrong_password_the_same_way_for_every_address(
    db: Session, maya_account: PatientAccount, email: str
) -> None:
    service.set_password(maya_account, "a long enough passphrase", 12)
    with pytest.raises(PortalPasswordWeak) as refused:
        _password(db, email, "not the passphrase")
    assert refused.value.message.startswith("password: Email or password is not right")


def test_it_refuses_a_password_sign_in_to_a_switched_off_account(
    db: Session, maya_account: PatientAccount
) -> None:
    service.set_password(maya_account, "a long enough passphrase", 12)
    maya_account.status = "disabled"
    with pytest.raises(KetaClinicError):
        _password(db, "maya@example.net", "a long enough passphrase")


def test_it_accepts_each_app_code_once(db: Session, maya_account: PatientAccount) -> None:
    secret = pyotp.random_base32()
    maya_account.totp_secret = secret
    maya_account.totp_enabled_at = utcnow()
    code = pyotp.TOTP(secret).now()
    service.check_code(db, maya_account, code, ORIGIN)
    with pytest.raises(PortalCodeWrong):
        service.check_code(db, maya_account, code, ORIGIN)
    with pytest.raises(PortalCodeWrong):
        service.check_code(db, maya_account, "000000" if code != "000000" else "111111", ORIGIN)


def test_it_names_the_patient_account_as_actor(db: Session, maya_account: PatientAccount) -> None:
    _ask(db, "maya@example.net")
    db.commit()
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "portal.sign_in_link_sent")
    ).one()
    assert event.actor == f"patient-account:{maya_account.id}"
    assert event.user_id is None and event.patient_id == maya_account.patient_id
