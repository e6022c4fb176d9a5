"""Clinic administration over the API (/api/v1/admin): staff, API tokens and the
clinic's clinical thresholds, for an administrator's scripts. The same services as
the pages; a one-time link's token is returned once, as the page shows it once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ketaclinic.admin import clinic_settings
from ketaclinic.auth import staff
from ketaclinic.auth.clinic import resolve_clinic_id
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.models import User
from ketaclinic.clinics import thresholds
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission, Role
from ketaclinic.kit.fields import Email, Id, OptionalText, ShortText
from ketaclinic.kit.pagination import Page, PageParams
from ketaclinic.kit.web import DbSession

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Not an administrator of that clinic"},
    404: {"description": "No such staff member or token in your clinics"},
    409: {
        "description": "The change would leave a clinic without an administrator, or "
        "the email already has an account"
    },
    422: {"description": "A field is invalid; `error.fields` names it"},
}


class StaffOut(BaseModel):
    id: int
    name: str
    email: str
    active: bool
    invited: bool
    two_factor: bool
    locked: bool
    roles: dict[int, str] = Field(description="Role by clinic id (your clinics only)")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InviteIn(_In):
    name: ShortText
    email: Email
    role: Role
    clinic_id: Id


class LinkOut(BaseModel):
    user: StaffOut
    link: str = Field(description="The one-time link to hand over; shown only now")


class RoleIn(_In):
    role: Role | None = Field(default=None, description="None: no role there")


class TokenOut(BaseModel):
    id: int
    owner_id: int
    owner_name: str
    label: str
    prefix: str
    scopes: str | None = Field(
        description="SMART scopes for FHIR, space-separated; none: FHIR as user/*.rs "
        "within the owner's role (the JSON API is never limited by them)"
    )
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class SettingOut(BaseModel):
    key: str
    label: str
    unit: str
    accepted: str
    reference: str
    default: str | None = Field(description="None: the protocol's own value")
    value: str | None = Field(description="The clinic's own value; None: the default")


class SettingIn(_In):
    value: OptionalText | None = Field(default=None, description="None: the default")


def _page(items: list[Any], params: PageParams) -> dict[str, Any]:
    chosen = items[params.offset : params.offset + params.page_size]
    return {
        "items": chosen,
        "total": len(items),
        "page": params.page,
        "page_size": params.page_size,
    }


def _staff_out(db: Session, user: User, clinics: list[int]) -> StaffOut:
    roles = {c: r for c, r in staff.roles_of(db, user.id).items() if c in clinics}
    return StaffOut(
        id=user.id,
        name=user.name,
        email=user.email,
        active=user.is_active,
        invited=user.password_hash == staff.NO_PASSWORD,
        two_factor=user.totp_enabled_at is not None,
        locked=user.locked_at is not None,
        roles=roles,
    )


def _admin(principal: Principal) -> list[int]:
    return principal.require_any(Permission.STAFF_ADMIN)


def _link(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + staff.LINK_PATH + token


@router.get("/staff", response_model=Page[StaffOut], responses=ERRORS)
def staff_list(
    principal: CurrentPrincipal, db: DbSession, params: Annotated[PageParams, Depends()]
) -> dict[str, Any]:
    """The staff of the clinics you administer."""
    clinics = _admin(principal)
    members = [_staff_out(db, m.user, clinics) for m in staff.list_staff(db, clinics)]
    return _page(members, params)


@router.post("/staff", status_code=201, response_model=LinkOut, responses=ERRORS)
def staff_invite(
    request: Request, principal: CurrentPrincipal, db: DbSession, data: InviteIn
) -> LinkOut:
    """Invite someone: an account without a password and a one-time link (7 days)."""
    user, token = staff.invite(
        db, principal, email=data.email, name=data.name, clinic_id=data.clinic_id, role=data.role
    )
    return LinkOut(user=_staff_out(db, user, _admin(principal)), link=_link(request, token))


@router.post("/staff/{user_id}/deactivate", response_model=StaffOut, responses=ERRORS)
def staff_deactivate(principal: CurrentPrincipal, db: DbSession, user_id: Id) -> StaffOut:
    """No more sign-ins; every browser session ends and every API token is revoked."""
    return _staff_out(db, staff.deactivate(db, principal, user_id), _admin(principal))


@router.post("/staff/{user_id}/reactivate", response_model=StaffOut, responses=ERRORS)
def staff_reactivate(principal: CurrentPrincipal, db: DbSession, user_id: Id) -> StaffOut:
    return _staff_out(db, staff.reactivate(db, principal, user_id), _admin(principal))


@router.put("/staff/{user_id}/roles/{clinic_id}", response_model=StaffOut, responses=ERRORS)
def staff_role(
    principal: CurrentPrincipal, db: DbSession, user_id: Id, clinic_id: Id, data: RoleIn
) -> StaffOut:
    """The role in one clinic (null: none there); a clinic keeps an administrator."""
    user = staff.set_role(db, principal, user_id, clinic_id, data.role)
    return _staff_out(db, user, _admin(principal))


@router.post("/staff/{user_id}/password-reset", response_model=LinkOut, responses=ERRORS)
def staff_password_reset(
    request: Request, principal: CurrentPrincipal, db: DbSession, user_id: Id
) -> LinkOut:
    """A one-time link (24 hours) where the person sets a new password."""
    user, token = staff.reset_password(db, principal, user_id)
    return LinkOut(user=_staff_out(db, user, _admin(principal)), link=_link(request, token))


def _token_out(row: staff.TokenRow) -> TokenOut:
    t = row.token
    return TokenOut(
        id=t.id,
        owner_id=row.owner.id,
        owner_name=row.owner.name,
        label=t.label,
        prefix=t.prefix,
        scopes=t.scopes,
        created_at=t.created_at,
        last_used_at=t.last_used_at,
        revoked_at=t.revoked_at,
    )


@router.get("/tokens", response_model=Page[TokenOut], responses=ERRORS)
def token_list(
    principal: CurrentPrincipal, db: DbSession, params: Annotated[PageParams, Depends()]
) -> dict[str, Any]:
    """Every API token of your clinics' staff, live ones first."""
    return _page([_token_out(r) for r in staff.list_tokens(db, principal)], params)


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut, responses=ERRORS)
def token_revoke(principal: CurrentPrincipal, db: DbSession, token_id: Id) -> TokenOut:
    token = staff.revoke_token(db, principal, token_id)
    owner = db.get(User, token.user_id)
    assert owner is not None
    return _token_out(staff.TokenRow(token, owner))


def _setting_out(view: clinic_settings.SettingView) -> SettingOut:
    s = view.spec
    return SettingOut(
        key=s.key,
        label=s.label,
        unit=s.unit,
        accepted=s.range_text,
        reference=s.reference,
        default=None if view.default is None else thresholds.stored(view.default),
        value=None if view.own is None else thresholds.stored(view.own),
    )


def _settings_clinic(principal: Principal, clinic_id: int | None) -> int:
    """The clinic named, or the caller's only one (several and none named: 422)."""
    return resolve_clinic_id(principal, Permission.SETTINGS_MANAGE, clinic_id)


@router.get("/settings", response_model=Page[SettingOut], responses=ERRORS)
def settings_list(
    principal: CurrentPrincipal,
    db: DbSession,
    params: Annotated[PageParams, Depends()],
    clinic_id: Id | None = None,
) -> dict[str, Any]:
    """The clinic's clinical thresholds with their defaults and accepted ranges."""
    chosen = _settings_clinic(principal, clinic_id)
    return _page([_setting_out(v) for v in clinic_settings.overview(db, principal, chosen)], params)


@router.put("/settings/{key}", response_model=SettingOut, responses=ERRORS)
def settings_put(
    principal: CurrentPrincipal,
    db: DbSession,
    data: SettingIn,
    key: Annotated[str, Path(max_length=80)],
    clinic_id: Id | None = None,
) -> SettingOut:
    """Set one threshold for the clinic (value null: back to the default); audited."""
    chosen = _settings_clinic(principal, clinic_id)
    clinic_settings.change(db, principal, chosen, key, data.value)
    found = next(v for v in clinic_settings.overview(db, principal, chosen) if v.spec.key == key)
    return _setting_out(found)
