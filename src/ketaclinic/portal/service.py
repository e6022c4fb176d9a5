"""Patient accounts: the invitation from the chart, setting the account up, and the
ways to sign in (an emailed one-time link; a password; a code from an authenticator
app when the patient turned two-factor on). Never commits; audits every step."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pyotp
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.mfa import matching_step
from ketaclinic.auth.passwords import hash_password, password_problem, verify_password
from ketaclinic.auth.service import normalize_email
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import ratelimit
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications import service as notifications
from ketaclinic.patients.errors import PatientNotFound
from ketaclinic.portal import repository as repo
from ketaclinic.portal.actor import ACTOR_PREFIX, PortalPatient
from ketaclinic.portal.errors import (
    PortalAccountDisabled,
    PortalCodeWrong,
    PortalEmailInvalid,
    PortalEmailTaken,
    PortalLinkUnusable,
    PortalNoEmail,
    PortalPasswordWeak,
    PortalTooManyTries,
)
from ketaclinic.portal.models import PatientAccount, PortalLink
from ketaclinic.portal.sessions import sha256

INVITATION = "invitation"
SIGN_IN = "sign_in"
INVITATION_VALID = timedelta(days=7)
SIGN_IN_LINK_VALID = timedelta(minutes=15)
# Asking for links and trying passwords, per address asked about and per network
# address (kit.ratelimit: shared by every server process).
PER_EMAIL = ratelimit.Rate.parse("5 per 15 minutes")
PER_IP = ratelimit.Rate.parse("30 per 15 minutes")
PASSWORD_PER_EMAIL = ratelimit.Rate.parse("10 per 15 minutes")
TOTP_ISSUER = "KetaClinic patient portal"


def _actor(account: PatientAccount) -> str:
    return f"{ACTOR_PREFIX}{account.id}"


def _record(
    db: Session, account: PatientAccount, action: str, origin: Origin, **detail: object
) -> None:
    audit.record(
        db,
        None,
        action,
        clinic_id=account.clinic_id,
        patient_id=account.patient_id,
        resource_type="patient_account",
        resource_id=account.id,
        detail=dict(detail) or None,
        origin=origin,
        actor=_actor(account),
    )


def _new_link(
    db: Session, account: PatientAccount, purpose: str, valid: timedelta, by: int | None = None
) -> tuple[str, PortalLink]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    link = PortalLink(
        account_id=account.id,
        purpose=purpose,
        token_hash=sha256(token),
        created_by_id=by,
        created_at=now,
        expires_at=now + valid,
    )
    db.add(link)
    db.flush()
    return token, link


# ---- the invitation ------------------------------------------------------------------


def account_of(db: Session, principal: Principal, patient_id: int) -> PatientAccount | None:
    """The patient's portal account, for the chart (no audit: the chart's read is)."""
    return repo.account_of_patient(db, principal.clinics_with(Permission.PATIENT_READ), patient_id)


def invite(db: Session, principal: Principal, patient_id: int) -> PatientAccount:
    """Staff invite the patient to the portal: an account for the chart's email (made,
    or its address brought up to date) and a one-time link by email. Audited."""
    clinics = principal.clinics_with(Permission.PATIENT_WRITE)
    patient = repo.patient_in(db, clinics, patient_id)
    if patient is None:
        raise PatientNotFound(f"No patient with id {patient_id}.")
    if not patient.email:
        raise PortalNoEmail()
    email = normalize_email(patient.email)
    account = repo.account_of_patient(db, [patient.clinic_id], patient.id)
    other = repo.account_by_email(db, email)
    if other is not None and (account is None or other.id != account.id):
        raise PortalEmailTaken()
    if account is not None and account.status == "disabled":
        raise PortalAccountDisabled()
    if account is None:
        account = PatientAccount(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            email=email,
            status="invited",
            invited_by_id=principal.user_id,
        )
        db.add(account)
        db.flush()
    account.email = email
    token, link = _new_link(db, account, INVITATION, INVITATION_VALID, by=principal.user_id)
    notifications.queue(
        db,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        template="portal_invitation",
        event_key=f"portal-invitation:{link.id}",
        link_path=f"/portal/welcome/{token}",
        urgent=True,
    )
    audit.record(
        db,
        principal,
        "portal.invited",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        resource_type="patient_account",
        resource_id=account.id,
        detail={"expires_at": link.expires_at},
    )
    return account


def disable(db: Session, principal: Principal, patient_id: int) -> PatientAccount | None:
    """Staff switch the patient's portal account off: its sessions and links stop
    working at once (deps and ``open_link`` check the status). Audited. A patient
    without an account has nothing to switch off (None)."""
    clinics = principal.clinics_with(Permission.PATIENT_WRITE)
    if repo.patient_in(db, clinics, patient_id) is None:
        raise PatientNotFound(f"No patient with id {patient_id}.")
    account = repo.account_of_patient(db, clinics, patient_id)
    if account is None:
        return None
    account.status = "disabled"
    audit.record(
        db,
        principal,
        "portal.account_disabled",
        clinic_id=account.clinic_id,
        patient_id=account.patient_id,
        resource_type="patient_account",
        resource_id=account.id,
    )
    return account


def open_link(db: Session, token: str, purpose: str) -> tuple[PortalLink, PatientAccount]:
    """A link that still works (for this purpose, unused, not expired, its account
    not switched off); else ``PortalLinkUnusable``."""
    link = repo.link_by_hash(db, sha256(token)) if token else None
    if link is None or link.purpose != purpose or link.used_at is not None:
        raise PortalLinkUnusable()
    if link.expires_at <= utcnow():
        raise PortalLinkUnusable()
    account = repo.account_by_id(db, link.account_id)
    if account is None or account.status == "disabled":
        raise PortalLinkUnusable()
    return link, account


def set_password(account: PatientAccount, password: str, min_length: int) -> None:
    if problem := password_problem(password, min_length):
        raise PortalPasswordWeak(problem)
    account.password_hash = hash_password(password)


def accept_invitation(
    db: Session, token: str, password: str, *, min_length: int, origin: Origin
) -> PatientAccount:
    """The patient opens the invitation: the account is active (with a password if
    they chose one; the emailed sign-in link works either way). The link is used up."""
    link, account = open_link(db, token, INVITATION)
    if password:
        set_password(account, password, min_length)
    now = utcnow()
    link.used_at = now
    if account.status != "active":
        account.status = "active"
        account.activated_at = now
    _record(db, account, "portal.account_activated", origin, password=bool(password))
    return account


# ---- signing in ----------------------------------------------------------------------


def _limited(db: Session, secret_key: str, scope: str, rate: ratelimit.Rate, value: str) -> bool:
    return not ratelimit.hit(db, rate, scope, ratelimit.key_of(secret_key, scope, value))


def _email_or_refuse(email: str) -> str:
    try:
        return normalize_email(email)
    except ValidationFailed:
        raise PortalEmailInvalid() from None


def request_sign_in_link(
    db: Session, email: str, *, ip: str, secret_key: str, origin: Origin
) -> None:
    """Email a sign-in link when an active account uses ``email``. The caller answers
    the same whether or not one does; only a limit reached is said (it counts every
    address alike, so it tells nothing about accounts)."""
    address = _email_or_refuse(email)
    if _limited(db, secret_key, "portal_link_ip", PER_IP, ip) or _limited(
        db, secret_key, "portal_link_email", PER_EMAIL, address
    ):
        raise PortalTooManyTries(
            "Too many sign-in links were asked for. Wait 15 minutes, then try again.",
            {"email": "too many requests: wait 15 minutes"},
        )
    account = repo.account_by_email(db, address)
    if account is None or account.status != "active":
        return
    token, link = _new_link(db, account, SIGN_IN, SIGN_IN_LINK_VALID)
    notifications.queue(
        db,
        clinic_id=account.clinic_id,
        patient_id=account.patient_id,
        template="sign_in_link",
        event_key=f"portal-sign-in:{link.id}",
        link_path=f"/portal/link/{token}",
        urgent=True,
    )
    _record(db, account, "portal.sign_in_link_sent", origin)


def sign_in_with_link(db: Session, token: str, origin: Origin) -> PatientAccount:
    """The emailed link, used once. Two-factor (if on) is still asked for after it."""
    link, account = open_link(db, token, SIGN_IN)
    if account.status != "active":
        raise PortalLinkUnusable()
    link.used_at = utcnow()
    _record(db, account, "portal.sign_in", origin, method="link")
    return account


def sign_in_with_password(
    db: Session, email: str, password: str, *, ip: str, secret_key: str, origin: Origin
) -> PatientAccount:
    """Email and password. One answer for every failure (unknown address, wrong
    password, no password set, switched off), so it tells nothing about accounts."""
    address = _email_or_refuse(email)
    if _limited(db, secret_key, "portal_pw_ip", PER_IP, ip) or _limited(
        db, secret_key, "portal_pw_email", PASSWORD_PER_EMAIL, address
    ):
        raise PortalTooManyTries(
            "Too many sign-in attempts. Wait 15 minutes, or ask for a sign-in link.",
            {"password": "too many attempts: wait 15 minutes"},
        )
    account = repo.account_by_email(db, address)
    # Always verify (a dummy hash when there is none) so timing reveals nothing.
    ok = verify_password(account.password_hash if account else None, password)
    if account is None or not ok or account.status != "active":
        if account is not None:
            _record(db, account, "portal.sign_in_failed", origin, method="password")
        raise PortalPasswordWeak(
            "Email or password is not right. You can ask for a sign-in link instead.",
            field="password",
        )
    _record(db, account, "portal.sign_in", origin, method="password")
    return account


def two_factor_on(account: PatientAccount) -> bool:
    return account.totp_enabled_at is not None and account.totp_secret is not None


def check_code(db: Session, account: PatientAccount, code: str, origin: Origin) -> None:
    """The second factor: a code from the app, each accepted once."""
    step = matching_step(account.totp_secret or "", code) if two_factor_on(account) else None
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        _record(db, account, "portal.sign_in_failed", origin, method="totp")
        raise PortalCodeWrong()
    account.totp_last_step = step
    _record(db, account, "portal.second_factor", origin, totp_step=step)


# ---- the patient's own account settings ----------------------------------------------


def own_account(db: Session, patient: PortalPatient) -> PatientAccount:
    account = repo.account_by_id(db, patient.account_id)
    assert account is not None  # the session's account (deps checked it is active)
    return account


def change_password(db: Session, patient: PortalPatient, password: str, min_length: int) -> None:
    account = own_account(db, patient)
    set_password(account, password, min_length)
    _record(db, account, "portal.password_set", patient.origin)


def pending_totp_secret(db: Session, patient: PortalPatient) -> tuple[str, str]:
    """The secret being set up (kept until confirmed) and its provisioning URI."""
    account = own_account(db, patient)
    if account.totp_secret is None or account.totp_enabled_at is not None:
        account.totp_secret = pyotp.random_base32()
        account.totp_enabled_at = None
    uri = pyotp.TOTP(account.totp_secret).provisioning_uri(
        name=account.email, issuer_name=TOTP_ISSUER
    )
    return account.totp_secret, uri


def confirm_totp(db: Session, patient: PortalPatient, code: str) -> None:
    account = own_account(db, patient)
    step = matching_step(account.totp_secret or "", code) if account.totp_secret else None
    if step is None:
        raise PortalCodeWrong()
    account.totp_enabled_at = utcnow()
    account.totp_last_step = step
    _record(db, account, "portal.two_factor_on", patient.origin)


def turn_off_totp(db: Session, patient: PortalPatient, code: str) -> None:
    account = own_account(db, patient)
    check_code(db, account, code, patient.origin)
    account.totp_secret = None
    account.totp_enabled_at = None
    _record(db, account, "portal.two_factor_off", patient.origin)
