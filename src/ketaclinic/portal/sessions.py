"""Patients' browser sessions: rows of their own (``portal_sessions``), never a staff
session. The cookie holds a random value; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.kit.time import utcnow
from ketaclinic.portal import repository
from ketaclinic.portal.models import PatientAccount, PortalSession

# A session's last activity is kept to the minute (as staff sessions'): a page need
# not write on every request.
TOUCH_EVERY = timedelta(minutes=1)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start(
    db: Session, account: PatientAccount, max_age: timedelta, *, mfa_passed: bool = True
) -> tuple[str, PortalSession]:
    """The cookie value and the new session's row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = PortalSession(
        account_id=account.id,
        token_hash=sha256(token),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + max_age,
        mfa_passed=mfa_passed,
    )
    db.add(row)
    db.flush()
    return token, row


def for_cookie(
    db: Session, token: str, *, idle_timeout: timedelta
) -> tuple[PatientAccount, PortalSession] | None:
    """The live session behind a cookie and its active account, or None (unknown,
    ended, past its absolute end, idle too long, or the account switched off)."""
    row = db.scalar(select(PortalSession).where(PortalSession.token_hash == sha256(token)))
    now = utcnow()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if row.last_seen_at + idle_timeout <= now:
        row.ended_at = now  # idle too long: this cookie is done for good
        return None
    account = repository.account_by_id(db, row.account_id)
    if account is None or account.status != "active":
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return account, row


def end(db: Session, token: str) -> None:
    row = db.scalar(select(PortalSession).where(PortalSession.token_hash == sha256(token)))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()


def pass_second_factor(row: PortalSession, max_age: timedelta) -> None:
    row.mfa_passed = True
    row.expires_at = utcnow() + max_age
