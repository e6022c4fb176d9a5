"""Staff accounts as an administrator sees them (only the clinics they administer)
and what an administrator does to them: invite, deactivate and reactivate, change a
role per clinic, reset a password or two-factor, revoke API tokens. Every change is
audited; services never commit."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth import mfa
from ketaclinic.auth import service as accounts
from ketaclinic.auth.errors import (
    ApiTokenDetailsInvalid,
    ApiTokenNotFound,
    CannotDeactivateSelf,
    LastAdministrator,
    LinkUnusable,
    OnlyClinic,
    OtherClinicsAdministrator,
    PasswordConfirmMismatch,
    StaffDetailsInvalid,
    StaffEmailTaken,
    StaffNotFound,
)
from ketaclinic.auth.models import ApiToken, Membership, StaffLink, User
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission, Role
from ketaclinic.identity.scopes import Context, ScopeInvalid, parse_scopes, render
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import as_utc, utcnow

# An invitation lasts a week (handed over in person or by message); a reset a day.
LINK_LIFETIME = {"invitation": timedelta(days=7), "reset": timedelta(hours=24)}
# The password hash of an invited account until its owner sets one: no password
# verifies against it (verify_password refuses a malformed hash).
NO_PASSWORD = "!invited"  # noqa: S105 - a marker, not a secret
LINK_PATH = "/account/password/"


@dataclass
class StaffMember:
    user: User
    # (clinic name, role) in the administrator's clinics only; other clinics are
    # none of this administrator's business.
    roles: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mfa_on(self) -> bool:
        return self.user.totp_enabled_at is not None

    @property
    def locked(self) -> bool:
        return self.user.locked_at is not None


def list_staff(db: Session, clinic_ids: Sequence[int]) -> list[StaffMember]:
    if not clinic_ids:
        return []
    rows = db.execute(
        select(User, Clinic.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .join(Clinic, Clinic.id == Membership.clinic_id)
        .where(Membership.clinic_id.in_(list(clinic_ids)))
        .order_by(User.name, User.id, Clinic.name)
    ).all()
    members: dict[int, StaffMember] = {}
    for user, clinic_name, role in rows:
        members.setdefault(user.id, StaffMember(user)).roles.append((clinic_name, role))
    return list(members.values())


def staff_member(db: Session, user_id: int, clinic_ids: Sequence[int]) -> User:
    """A user who works in one of these clinics; NotFound otherwise, so an
    administrator learns nothing about other clinics' staff."""
    user = (
        db.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(User.id == user_id, Membership.clinic_id.in_(list(clinic_ids)))
            .limit(1)
        )
        if clinic_ids
        else None
    )
    if user is None:
        raise StaffNotFound("No such staff member in your clinics.")
    return user


# ---- what an administrator does -------------------------------------------------------


def _admin_clinics(principal: Principal) -> list[int]:
    return principal.require_any(Permission.STAFF_ADMIN)


def roles_of(db: Session, user_id: int) -> dict[int, str]:
    rows = db.execute(
        select(Membership.clinic_id, Membership.role).where(Membership.user_id == user_id)
    ).all()
    return {clinic_id: role for clinic_id, role in rows}


def _record(
    db: Session,
    principal: Principal,
    action: str,
    user: User,
    clinic_ids: Sequence[int],
    detail: dict[str, object],
) -> None:
    """One event on each clinic's chain the change concerns (its admins read it)."""
    for clinic_id in clinic_ids:
        audit.record(
            db,
            principal,
            action,
            clinic_id=clinic_id,
            resource_type="user",
            resource_id=user.id,
            detail={"email": user.email, **detail},
        )


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _issue_link(db: Session, principal: Principal, user: User, purpose: str) -> str:
    """A new one-time link for the user; any earlier unused one stops working."""
    now = utcnow()
    db.execute(
        update(StaffLink)
        .where(StaffLink.user_id == user.id, StaffLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )
    token = secrets.token_urlsafe(32)
    db.add(
        StaffLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=_sha256(token),
            created_by_id=principal.user_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME[purpose],
        )
    )
    db.flush()
    return token


def invite(
    db: Session, principal: Principal, *, email: str, name: str, clinic_id: int, role: str
) -> tuple[User, str]:
    """A new account in one of the administrator's clinics, with no password yet;
    returns it and the one-time link's token, where its owner sets a password."""
    principal.require(Permission.STAFF_ADMIN, clinic_id)
    fields: dict[str, str] = {}
    try:
        email = accounts.normalize_email(email)
    except ValidationFailed as exc:
        fields.update(exc.fields)
    if not name.strip() or len(name) > 200:
        fields["name"] = "must be 1 to 200 characters"
    try:
        parsed = accounts.parse_role(role)
    except ValidationFailed as exc:
        fields.update(exc.fields)
    if fields:
        raise StaffDetailsInvalid("Please correct the new staff member's details.", fields)
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise StaffEmailTaken(
            f"Someone with the email {email} already has an account.",
            {"email": "already has an account"},
        )
    user = User(email=email, name=name.strip(), password_hash=NO_PASSWORD)
    db.add(user)
    db.flush()
    db.add(Membership(user_id=user.id, clinic_id=clinic_id, role=parsed.value))
    token = _issue_link(db, principal, user, "invitation")
    _record(db, principal, "staff.invited", user, [clinic_id], {"role": parsed.value})
    return user, token


def reset_password(db: Session, principal: Principal, user_id: int) -> tuple[User, str]:
    """A one-time link where the user sets a new password. Their current password
    keeps working until then (the link may never be used)."""
    clinics = _admin_clinics(principal)
    user = staff_member(db, user_id, clinics)
    token = _issue_link(db, principal, user, "reset")
    shared = sorted(set(roles_of(db, user.id)) & set(clinics))
    _record(db, principal, "staff.password_reset_link", user, shared, {})
    return user, token


@dataclass(frozen=True)
class LinkInfo:
    user: User
    purpose: str
    expires_at: datetime


def _live_link(db: Session, token: str, *, lock: bool = False) -> tuple[StaffLink, User]:
    stmt = select(StaffLink).where(StaffLink.token_hash == _sha256(token))
    link = db.scalar(stmt.with_for_update() if lock else stmt)
    user = db.get(User, link.user_id) if link is not None else None
    if (
        link is None
        or user is None
        or link.used_at is not None
        or as_utc(link.expires_at) <= utcnow()
        or not user.is_active
    ):
        raise LinkUnusable(
            "This link is unknown, expired or already used: ask your "
            "clinic's administrator for a new one."
        )
    return link, user


def link_info(db: Session, token: str) -> LinkInfo:
    link, user = _live_link(db, token)
    return LinkInfo(user, link.purpose, link.expires_at)


def use_link(
    db: Session,
    token: str,
    password: str,
    confirm: str,
    origin: Origin,
    min_length: int | None = None,
) -> User:
    """Set the password from a one-time link; the link is then spent, and a reset
    ends the user's browser sessions."""
    link, user = _live_link(db, token, lock=True)
    if password != confirm:
        raise PasswordConfirmMismatch("does not match the password")
    accounts.set_password(db, user, password, min_length)
    link.used_at = utcnow()
    if link.purpose == "reset":
        accounts.end_sessions(db, user.id)
    for clinic_id in sorted(roles_of(db, user.id)):
        audit.record(
            db,
            None,
            "staff.password_set",
            clinic_id=clinic_id,
            resource_type="user",
            resource_id=user.id,
            detail={"email": user.email, "link": link.purpose},
            origin=origin,
            actor=user.email,
        )
    return user


def _all_mine(principal: Principal, memberships: dict[int, str], clinics: Sequence[int]) -> None:
    """A change to the whole account needs the administrator of each of its clinics."""
    others = set(memberships) - set(clinics)
    if others:
        raise OtherClinicsAdministrator(
            "This person also works in a clinic you do not administer: change "
            "their role here instead, or ask that clinic's administrator."
        )


def _other_active_admins(db: Session, clinic_id: int, user_id: int) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.clinic_id == clinic_id,
                Membership.role == Role.ADMIN.value,
                Membership.user_id != user_id,
                User.is_active.is_(True),
            )
        )
        or 0
    )


def _keep_an_admin(db: Session, clinic_id: int, user_id: int, clinic_name: str) -> None:
    if _other_active_admins(db, clinic_id, user_id) == 0:
        raise LastAdministrator(
            f"{clinic_name} would have no administrator left: give someone "
            "else the administrator role first.",
            {"role": "the clinic's last administrator"},
        )


def _clinic_name(db: Session, clinic_id: int) -> str:
    clinic = db.get(Clinic, clinic_id)
    return clinic.name if clinic else "The clinic"


def deactivate(db: Session, principal: Principal, user_id: int) -> User:
    """The person can no longer sign in; their browser sessions end and their API
    tokens are revoked in the same transaction."""
    clinics = _admin_clinics(principal)
    user = staff_member(db, user_id, clinics)
    if user.id == principal.user_id:
        raise CannotDeactivateSelf("You cannot deactivate your own account.")
    memberships = roles_of(db, user.id)
    _all_mine(principal, memberships, clinics)
    if not user.is_active:
        return user
    for clinic_id, role in memberships.items():
        if role == Role.ADMIN.value:
            _keep_an_admin(db, clinic_id, user.id, _clinic_name(db, clinic_id))
    user.is_active = False
    sessions = accounts.end_sessions(db, user.id)
    tokens = accounts.revoke_tokens(db, user.id)
    _record(
        db,
        principal,
        "staff.deactivated",
        user,
        sorted(memberships),
        {"sessions_ended": sessions, "tokens_revoked": tokens},
    )
    return user


def reactivate(db: Session, principal: Principal, user_id: int) -> User:
    """The person may sign in again (their old sessions and tokens stay ended)."""
    clinics = _admin_clinics(principal)
    user = staff_member(db, user_id, clinics)
    memberships = roles_of(db, user.id)
    _all_mine(principal, memberships, clinics)
    if user.is_active:
        return user
    user.is_active = True
    _record(db, principal, "staff.reactivated", user, sorted(memberships), {})
    return user


def set_role(
    db: Session, principal: Principal, user_id: int, clinic_id: int, role: str | None
) -> User:
    """The user's role in one clinic (``None`` or "": no longer works there). A
    clinic keeps at least one active administrator."""
    principal.require(Permission.STAFF_ADMIN, clinic_id)
    user = staff_member(db, user_id, _admin_clinics(principal))
    new = accounts.parse_role(role).value if role else None
    membership = db.scalar(
        select(Membership)
        .where(Membership.user_id == user.id, Membership.clinic_id == clinic_id)
        .with_for_update()
    )
    old = membership.role if membership is not None else None
    if old == new:
        return user
    if old == Role.ADMIN.value and user.is_active:
        _keep_an_admin(db, clinic_id, user.id, _clinic_name(db, clinic_id))
    if new is None:
        assert membership is not None
        if len(roles_of(db, user.id)) == 1:
            raise OnlyClinic(
                "This is their only clinic: deactivate the account instead.",
                {"role": "their only clinic"},
            )
        db.delete(membership)
    elif membership is None:
        db.add(Membership(user_id=user.id, clinic_id=clinic_id, role=new))
    else:
        membership.role = new
    db.flush()
    _record(db, principal, "staff.role_changed", user, [clinic_id], {"old": old, "new": new})
    return user


def reset_mfa(db: Session, principal: Principal, user_id: int) -> User:
    """Turn two-factor off for someone who lost their phone and recovery codes; they
    enrol again at their next sign-in when the clinic requires it."""
    clinics = _admin_clinics(principal)
    user = staff_member(db, user_id, clinics)
    mfa.reset(db, user, origin=principal.origin, actor=principal.email, principal=principal)
    return user


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    owner: User


def list_tokens(db: Session, principal: Principal) -> list[TokenRow]:
    """Every API token of the staff of the administrator's clinics, newest first."""
    clinics = _admin_clinics(principal)
    staff = select(Membership.user_id).where(Membership.clinic_id.in_(clinics))
    rows = db.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.user_id.in_(staff))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    return [TokenRow(token, owner) for token, owner in rows]


def revoke_token(db: Session, principal: Principal, token_id: int) -> ApiToken:
    clinics = _admin_clinics(principal)
    token = db.get(ApiToken, token_id)
    if token is None:
        raise ApiTokenNotFound("No such API token in your clinics.")
    owner = staff_member(db, token.user_id, clinics)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        shared = sorted(set(roles_of(db, owner.id)) & set(clinics))
        _record(
            db,
            principal,
            "auth.token_revoked",
            owner,
            shared,
            {"token": token.prefix, "label": token.label},
        )
    return token


LABEL_MAX = 100


def token_scopes(text: str) -> str | None:
    """SMART scopes for a new API token, checked and written canonically (user/
    scopes: the token acts as its staff member); "" chooses none (None)."""
    try:
        return render(parse_scopes(text, contexts=[Context.USER])) or None
    except ScopeInvalid as exc:
        raise ApiTokenDetailsInvalid(
            "Please correct the token's scopes.", {"scopes": str(exc)}
        ) from None


def issue_token(
    db: Session, principal: Principal, user_id: int, *, label: str, scopes: str
) -> tuple[ApiToken, str]:
    """A new API token for a staff member of the administrator's clinics, with the
    SMART scopes chosen (none: the JSON API as before; FHIR as user/*.rs within the
    role). The token text is returned this once; only its hash is kept."""
    clinics = _admin_clinics(principal)
    owner = staff_member(db, user_id, clinics)
    label = " ".join(label.split())
    if len(label) > LABEL_MAX:
        raise ApiTokenDetailsInvalid(
            "Please correct the token's label.", {"label": f"at most {LABEL_MAX} characters"}
        )
    canonical = token_scopes(scopes)
    text = accounts.create_api_token(db, owner, label=label, scopes=canonical)
    token = db.scalars(select(ApiToken).where(ApiToken.token_hash == _sha256(text))).one()
    shared = sorted(set(roles_of(db, owner.id)) & set(clinics))
    _record(
        db,
        principal,
        "auth.token_issued",
        owner,
        shared,
        {"token": token.prefix, "label": label, "scopes": canonical or ""},
    )
    return token, text
