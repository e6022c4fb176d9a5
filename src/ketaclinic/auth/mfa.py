"""Two-factor sign-in for staff: TOTP (RFC 6238) and single-use recovery codes.

Enrolment keeps the new secret on the user with ``totp_enabled_at`` still empty:
the secret never travels through the browser except as the QR code and text the
user must see anyway, a reload shows the same QR code, and nothing counts as
enabled until a code from the phone confirms it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.errors import MfaAlreadyOff, MfaAlreadyOn, MfaCodeWrong, MfaNotEnrolling
from ketaclinic.auth.models import RecoveryCode, User
from ketaclinic.auth.passwords import verify_password
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.kit.time import utcnow, wall_seconds

ISSUER = "KetaClinic"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_TOTP_CODE = re.compile(r"\d{6}")
# Accept the previous and the next 30-second step too: phone clocks drift.
VALID_WINDOW = 1
# Events that record an accepted TOTP code and its step (detail "totp_step").
_TOTP_ACTIONS = (
    "auth.login",
    "auth.mfa_enrolled",
    "auth.mfa_disabled",
    "ledger.witness_confirmed",
)
# Long enough to cover every step a code could still be accepted in.
_REUSE_HORIZON = timedelta(seconds=30 * (2 * VALID_WINDOW + 2))


def _clean(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


# ---- enrolment -------------------------------------------------------------


def pending_secret(user: User) -> str:
    """The secret being enrolled, created on the first visit and kept until confirmed."""
    if is_enabled(user):
        raise MfaAlreadyOn("Two-factor sign-in is already on. Turn it off to enrol a new phone.")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """An inline SVG (no script, no style attribute: fine under our CSP)."""
    code = segno.make(uri, error="m")
    return str(
        code.svg_inline(
            scale=6,
            border=4,
            dark="#1d2433",
            light="#fff",
            title="QR code for your authenticator app",
        )
    )


def grouped(secret: str) -> str:
    """ABCD EFGH …: easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(db: Session, user: User, code: str, principal: Principal) -> list[str]:
    """Turn two-factor on once a code from the phone matches. Returns the recovery
    codes: the only time they can be shown."""
    if is_enabled(user) or user.totp_secret is None:
        raise MfaNotEnrolling("There is no two-factor enrolment to confirm; reload the page.")
    step = matching_step(user.totp_secret, code)
    if step is None:
        raise MfaCodeWrong(
            "is not the current code; check the phone's clock and enter the newest code"
        )
    user.totp_enabled_at = utcnow()
    codes = new_recovery_codes(db, user)
    audit.record(
        db,
        principal,
        "auth.mfa_enrolled",
        resource_type="user",
        resource_id=user.id,
        detail={"totp_step": step, "recovery_codes": len(codes)},
    )
    return codes


def new_recovery_codes(db: Session, user: User) -> list[str]:
    """Replace the user's recovery codes; only their SHA-256 is kept."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        db.add(RecoveryCode(user_id=user.id, code_hash=_sha256(raw)))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.flush()
    return codes


def recovery_codes_left(db: Session, user: User) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _turn_off(db: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(db: Session, user: User, proof: str, principal: Principal) -> bool:
    """Turn two-factor off, given a current code, a recovery code or the password.
    Returns False (changing nothing) when the proof is wrong."""
    if not is_enabled(user):
        raise MfaAlreadyOff("Two-factor sign-in is already off.")
    # A password is longer than a six-digit code, so a proof is never both.
    check = check_second_factor(db, user, proof)
    how = check.method
    if not check.ok:
        if not verify_password(user.password_hash, proof):
            return False
        how = "password"
    _turn_off(db, user)
    audit.record(
        db,
        principal,
        "auth.mfa_disabled",
        resource_type="user",
        resource_id=user.id,
        detail={"proof": how, "totp_step": check.step},
    )
    return True


def reset(
    db: Session, user: User, *, origin: Origin, actor: str, principal: Principal | None = None
) -> None:
    """Turn two-factor off for a user who lost their phone and recovery codes
    (an administrator's decision: the staff page, or the CLI)."""
    was_on = is_enabled(user)
    _turn_off(db, user)
    audit.record(
        db,
        principal,
        "auth.mfa_disabled",
        resource_type="user",
        resource_id=user.id,
        detail={"email": user.email, "reason": "reset", "was_on": was_on},
        origin=origin,
        actor=actor,
    )


# ---- verification ------------------------------------------------------------


@dataclass(frozen=True)
class SecondFactor:
    ok: bool
    method: str = ""  # totp or recovery
    step: int | None = None  # the TOTP time step the code belongs to
    reused: bool = False  # a right TOTP code that was already accepted once


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step whose code this is, within the drift window; None if none."""
    code = _clean(code)
    if not _TOTP_CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(wall_seconds() if at is None else at)
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _last_accepted_step(db: Session, user: User) -> int | None:
    # No column holds the last accepted step (schema 0003), so the audit trail,
    # where every accepted code is recorded with its step, answers instead.
    details = db.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.user_id == user.id,
            AuditEvent.action.in_(_TOTP_ACTIONS),
            AuditEvent.occurred_at >= utcnow() - _REUSE_HORIZON,
        )
    )
    steps = []
    for detail in details:
        step = json.loads(detail).get("totp_step") if detail else None
        if isinstance(step, int):
            steps.append(step)
    return max(steps, default=None)


def _use_recovery_code(db: Session, user: User, code: str) -> bool:
    # One conditional UPDATE: the same code sent to two server processes at once is
    # accepted by one of them only.
    used = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _sha256(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(used, "rowcount", 0))


def check_second_factor(db: Session, user: User, code: str) -> SecondFactor:
    """A six-digit TOTP code (each accepted once: RFC 6238 §5.2) or an unused
    recovery code, which is used up by this call."""
    if not is_enabled(user) or user.totp_secret is None:
        return SecondFactor(ok=False)
    cleaned = _clean(code)
    if _TOTP_CODE.fullmatch(cleaned):
        step = matching_step(user.totp_secret, cleaned)
        if step is None:
            return SecondFactor(ok=False)
        last = _last_accepted_step(db, user)
        if last is not None and step <= last:
            return SecondFactor(ok=False, reused=True)
        return SecondFactor(ok=True, method="totp", step=step)
    if cleaned and _use_recovery_code(db, user, cleaned):
        return SecondFactor(ok=True, method="recovery")
    return SecondFactor(ok=False)
