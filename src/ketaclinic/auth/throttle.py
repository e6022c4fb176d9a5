"""Sign-in throttling: lock an account after failures in a row (an administrator
unlocks it), and refuse an address that fails too often in a window.

Failures are written in the request's transaction; sign-in pages answer a refusal
with a page rather than by raising, so the request still commits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.models import LoginFailure, StaffSession, User
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.kit.time import utcnow

# Rows older than the longest window the setting allows are no use to anyone (the
# audit trail keeps the history).
FAILURE_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    max_failed_logins: int
    ip_failure_limit: int
    ip_failure_window: timedelta

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            max_failed_logins=settings.max_failed_logins,
            ip_failure_limit=settings.ip_failure_limit,
            ip_failure_window=timedelta(minutes=settings.ip_failure_window_minutes),
        )


def ip_blocked(db: Session, ip: str, limits: Limits) -> bool:
    since = utcnow() - limits.ip_failure_window
    failures = db.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.ip == ip[:64], LoginFailure.failed_at >= since)
    )
    return (failures or 0) >= limits.ip_failure_limit


def record_ip_refusal(db: Session, email: str, origin: Origin) -> None:
    """An attempt refused because its address is throttled: on record, but not
    counted again, so the address is let back in once the window has passed."""
    audit.record(
        db,
        None,
        "auth.login_failed",
        outcome=audit.DENIED,
        resource_type="user",
        detail={"reason": "ip_throttled", "email": email},
        origin=origin,
    )


def record_failure(
    db: Session,
    *,
    user: User | None,
    email: str,
    reason: str,
    limits: Limits,
    origin: Origin,
    action: str = "auth.login_failed",
    count_address: bool = True,
) -> bool:
    """Count a failed password or second factor against the account when it is known
    and, for sign-ins (``count_address``), against the address. Returns True when this
    failure locked the account."""
    now = utcnow()
    if count_address:
        db.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - FAILURE_RETENTION))
        db.add(LoginFailure(ip=origin.ip[:64], email=email[:254], failed_at=now))
    audit.record(
        db,
        None,
        action,
        outcome=audit.DENIED,
        resource_type="user",
        resource_id=user.id if user else "",
        detail={"reason": reason, "email": email},
        origin=origin,
    )
    if user is None:
        return False
    # Counted in the database, not on the loaded row: failures sent to different
    # server processes at once all count, and the row lock taken here makes a second
    # process see the first one's lock-out rather than lock the account again.
    user.failed_logins = User.failed_logins + 1
    db.flush()
    db.refresh(user, ["failed_logins", "locked_at"])
    if user.locked_at is not None or user.failed_logins < limits.max_failed_logins:
        return False
    user.locked_at = now
    # Locking ends every session too: a guesser may already hold one.
    db.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    audit.record(
        db,
        None,
        "auth.locked",
        outcome=audit.DENIED,
        resource_type="user",
        resource_id=user.id,
        detail={"email": user.email, "failed_logins": user.failed_logins},
        origin=origin,
    )
    return True


def record_success(user: User) -> None:
    user.failed_logins = 0


def unlock(
    db: Session,
    user: User,
    *,
    principal: Principal | None,
    origin: Origin,
    actor: str | None = None,
) -> None:
    """Let a locked account sign in again (by an administrator or from the CLI)."""
    was_locked_at = user.locked_at
    user.locked_at = None
    user.failed_logins = 0
    audit.record(
        db,
        principal,
        "auth.unlocked",
        resource_type="user",
        resource_id=user.id,
        detail={"email": user.email, "was_locked_at": was_locked_at},
        origin=origin,
        actor=actor,
    )
