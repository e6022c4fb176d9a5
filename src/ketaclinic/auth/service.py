"""Accounts, memberships, API tokens and browser sessions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Engine, String, bindparam, cast, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from ketaclinic.auth.errors import (
    EmailInvalid,
    EmailTaken,
    PasswordTooWeak,
    UnknownRole,
    UserDetailsInvalid,
    UserEmailNotFound,
    UserNotFound,
)
from ketaclinic.auth.models import ApiToken, Membership, StaffSession, User
from ketaclinic.auth.passwords import hash_password, password_problem, verify_password
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.db import core_execute
from ketaclinic.kit.errors import KetaClinicError, ValidationFailed
from ketaclinic.kit.time import as_utc, utcnow
from ketaclinic.settings import get_settings

TOKEN_PREFIX = "kc_"  # noqa: S105 - a marker, not a secret


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalize_email(email: str, field: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise EmailInvalid.on(field, str(exc)) from exc


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise UnknownRole(f"must be one of {allowed}") from None


def create_user(
    db: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    clinic: Clinic,
    password_min_length: int | None = None,
) -> User:
    """``password_min_length`` defaults to the ``password_min_length`` setting."""
    if password_min_length is None:
        password_min_length = get_settings().password_min_length
    fields: dict[str, str] = {}
    try:
        email = normalize_email(email)
    except ValidationFailed as exc:
        fields.update(exc.fields)
    if not name.strip() or len(name) > 200:
        fields["name"] = "must be 1 to 200 characters"
    if problem := password_problem(password, password_min_length):
        fields["password"] = problem
    try:
        parsed_role = parse_role(role)
    except ValidationFailed as exc:
        fields.update(exc.fields)
    if fields:
        raise UserDetailsInvalid("Please correct the user details.", fields)
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken(f"A user with email {email} already exists.", {"email": "already exists"})
    user = User(email=email, name=name.strip(), password_hash=hash_password(password))
    db.add(user)
    db.flush()
    db.add(Membership(user_id=user.id, clinic_id=clinic.id, role=parsed_role.value))
    db.flush()
    return user


def add_membership(db: Session, user: User, clinic: Clinic, role: str) -> Membership:
    membership = Membership(user_id=user.id, clinic_id=clinic.id, role=parse_role(role).value)
    db.add(membership)
    db.flush()
    return membership


def get_user_by_email(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise UserEmailNotFound(f"No user with email {email}.", {"email": "not found"})
    return user


def principal_for(
    db: Session,
    user: User,
    *,
    via_token: bool = False,
    csrf_token: str | None = None,
    origin: Origin | None = None,
) -> Principal:
    rows = db.execute(
        select(Membership.clinic_id, Membership.role).where(Membership.user_id == user.id)
    ).all()
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        roles={clinic_id: Role(role) for clinic_id, role in rows},
        via_token=via_token,
        csrf_token=csrf_token,
        origin=origin or Origin(),
    )


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise UserNotFound(f"No user with id {user_id}.")
    return user


@dataclass(frozen=True)
class PasswordCheck:
    """A sign-in attempt's first step. ``user`` is set whenever the email is known,
    so a failure can count against the account; ``refusal`` is empty on success."""

    user: User | None
    email: str  # normalized when valid, "" otherwise
    refusal: str = ""  # unknown_email, bad_password, inactive or locked

    @property
    def ok(self) -> bool:
        return self.user is not None and not self.refusal


def check_password(db: Session, email: str, password: str) -> PasswordCheck:
    try:
        normalized = normalize_email(email)
    except ValidationFailed:
        normalized = ""
    user = db.scalar(select(User).where(User.email == normalized)) if normalized else None
    # Always verify (a dummy hash for unknown emails) so timing reveals nothing.
    ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        return PasswordCheck(None, normalized, "unknown_email")
    if not ok:
        return PasswordCheck(user, normalized, "bad_password")
    if not user.is_active:
        return PasswordCheck(user, normalized, "inactive")
    # Checked after the password, and refused the same way, so a locked account
    # tells a guesser nothing about whether the guess was right.
    if user.locked_at is not None:
        return PasswordCheck(user, normalized, "locked")
    return PasswordCheck(user, normalized)


def create_api_token(db: Session, user: User, label: str = "", scopes: str | None = None) -> str:
    """Returns the token text; only its hash is stored, so this is the one chance to see it.
    ``scopes``: SMART scopes for the FHIR routes, already checked (smart.scopes); None
    keeps today's behaviour."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.add(
        ApiToken(
            user_id=user.id,
            token_hash=_sha256(token),
            prefix=token[:10],
            label=label,
            scopes=scopes or None,
        )
    )
    db.flush()
    return token


def token_scopes(db: Session, token: str) -> str | None:
    """The SMART scopes a live API token carries (None: none were chosen)."""
    return db.scalar(
        select(ApiToken.scopes).where(
            ApiToken.token_hash == _sha256(token), ApiToken.revoked_at.is_(None)
        )
    )


# Built once (the token's hash is a bound parameter): SQLAlchemy reuses its cache
# key and compiled form on every API request.
_TOKEN_CALLER = (
    select(
        ApiToken.id,
        ApiToken.last_used_at,
        User.id,
        User.email,
        User.name,
        Membership.clinic_id,
        Membership.role,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.is_active.is_(True),
    )
)


_CLINICS_OF = aliased(Membership)
# On PostgreSQL the same statement also makes the user's clinics the transaction's
# visible ones for row-level security (kit.db.set_visible_clinics), instead of a
# statement of its own on every API request. No row (an unknown token), no change.
_TOKEN_CALLER_VISIBLE = _TOKEN_CALLER.add_columns(
    func.set_config(
        "ketaclinic.clinic_ids",
        func.coalesce(
            select(func.string_agg(cast(_CLINICS_OF.clinic_id, String), ","))
            .where(_CLINICS_OF.user_id == User.id)
            .scalar_subquery(),
            "",
        ),
        True,
    )
)


def principal_for_token(db: Session, token: str, origin: Origin | None = None) -> Principal | None:
    """The caller behind a bearer token, in one statement: the token, its user (active)
    and the user's memberships. ``None`` when the token is unknown, revoked or its
    user inactive. (Separately that was three queries on every API request.) On
    PostgreSQL the statement also sets the clinics row-level security lets the
    transaction see: the user's (as ``set_visible_clinics`` with ``roles``)."""
    postgresql = db.get_bind().dialect.name == "postgresql"
    stmt = _TOKEN_CALLER_VISIBLE if postgresql else _TOKEN_CALLER
    rows = core_execute(db, stmt, {"token_hash": _sha256(token)}).all()
    if not rows:
        return None
    token_id, last_used_at, user_id, email, name = rows[0][:5]
    _touch(db, token_id, last_used_at)
    return Principal(
        user_id=user_id,
        email=email,
        name=name,
        roles={r.clinic_id: Role(r.role) for r in rows if r.clinic_id is not None},
        via_token=True,
        origin=origin or Origin(),
    )


def user_for_token(db: Session, token: str) -> User | None:
    row = db.scalar(
        select(ApiToken).where(ApiToken.token_hash == _sha256(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    _touch(db, row.id, row.last_used_at)
    return user


# A token's last use is kept to the minute: writing it on every request made every
# request with one token wait for the row lock of the one before (PostgreSQL).
TOKEN_TOUCH_EVERY = timedelta(minutes=1)
# A session's last activity likewise: a page poll need not write (and lock) anything.
SESSION_TOUCH_EVERY = timedelta(minutes=1)


def _touch(db: Session, token_id: int, last_used_at: datetime | None) -> None:
    now = utcnow()
    stale = now - TOKEN_TOUCH_EVERY
    if last_used_at is not None and as_utc(last_used_at) > stale:
        return
    stmt = (
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    bind = db.get_bind()
    if isinstance(bind, Engine):
        # Its own short transaction: the request's would hold the row lock (PostgreSQL)
        # or the write lock (SQLite) from its first step to its last.
        with bind.begin() as conn:
            conn.execute(stmt)
    else:  # bound to one connection (tests): that connection's transaction
        db.execute(stmt)


def start_session(
    db: Session, user: User, max_age: timedelta, *, mfa_passed: bool = True, ip: str = ""
) -> tuple[str, StaffSession]:
    """Returns the cookie value and the session row. A session with ``mfa_passed``
    False opens no page until the second factor is entered (see deps)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = StaffSession(
        user_id=user.id,
        token_hash=_sha256(token),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + max_age,
        mfa_passed=mfa_passed,
        ip=ip[:64],
    )
    db.add(row)
    db.flush()
    return token, row


def session_for_cookie(
    db: Session, token: str, *, idle_timeout: timedelta | None = None, touch: bool = True
) -> tuple[User, StaffSession] | None:
    """The live session behind a cookie; ``touch`` (not for background polls) counts
    the request as activity for the idle timeout."""
    row = db.scalar(select(StaffSession).where(StaffSession.token_hash == _sha256(token)))
    now = utcnow()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if idle_timeout is not None and row.last_seen_at + idle_timeout <= now:
        row.ended_at = now  # idle too long: this cookie is done for good
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active or user.locked_at is not None:
        return None
    if touch and now - row.last_seen_at >= SESSION_TOUCH_EVERY:  # to the minute, like tokens
        row.last_seen_at = now
    return user, row


def end_session(db: Session, token: str) -> None:
    row = db.scalar(select(StaffSession).where(StaffSession.token_hash == _sha256(token)))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()


def pass_second_factor(row: StaffSession, max_age: timedelta) -> None:
    """The pending session becomes a full one, with a full lifetime from now."""
    row.mfa_passed = True
    row.expires_at = utcnow() + max_age


def user_names(db: Session, *groups: Iterable[int | None]) -> dict[int, str]:
    """Staff names by id for every id in ``groups`` (None skipped; a removed
    account shows as "user N")."""
    names: dict[int, str] = {}
    for user_id in {i for group in groups for i in group if i is not None}:
        try:
            names[user_id] = get_user(db, user_id).name
        except KetaClinicError:
            names[user_id] = f"user {user_id}"
    return names


def end_sessions(db: Session, user_id: int) -> int:
    """End every open browser session of the user at once; returns how many."""
    result = db.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_tokens(db: Session, user_id: int) -> int:
    """Revoke every live API token of the user at once; returns how many."""
    result = db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_password(db: Session, user: User, password: str, min_length: int | None = None) -> None:
    """Replace the password (argon2id, the password rules); a lock-out ends with it."""
    if min_length is None:
        min_length = get_settings().password_min_length
    if problem := password_problem(password, min_length):
        raise PasswordTooWeak(problem)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_at = None
