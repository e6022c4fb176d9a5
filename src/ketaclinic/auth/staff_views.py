"""The administrator's staff pages: who works here, adding someone by a one-time
link, one person's account (roles per clinic, deactivate, password and two-factor
resets, unlock). One handler per action."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth import link_views, staff, throttle
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.mfa import is_enabled
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission, Role
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_errors, render

router = APIRouter(include_in_schema=False)
_staff = APIRouter(prefix="/admin/staff")

ROLE_WORDS: dict[str, str] = {
    Role.ADMIN: "Administrator",
    Role.PRESCRIBER: "Prescriber",
    Role.NURSE: "Nurse",
    Role.FRONT_DESK: "Front desk",
    Role.CUSTODIAN: "Controlled-substance custodian",
    Role.NETWORK_OPERATOR: "Network operator (reports only)",
}
ROLE_OPTIONS = [(role.value, ROLE_WORDS[role]) for role in Role]
DONE: dict[str, str] = {
    "deactivated": "Deactivated: their sessions ended and their API tokens were revoked.",
    "reactivated": "Reactivated: they can sign in again.",
    "role": "Role changed.",
    "mfa": "Two-factor is off: they set it up again at their next sign-in.",
    "unlocked": "Unlocked: they can sign in again.",
}


def link_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + staff.LINK_PATH + token


def _clinics(db: Session, clinic_ids: list[int]) -> list[Clinic]:
    return sorted((c for c in (db.get(Clinic, i) for i in clinic_ids) if c), key=lambda c: c.name)


@_staff.get("")
def staff_list(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    unlocked: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    clinic_ids = principal.require_any(Permission.STAFF_ADMIN)
    members = staff.list_staff(db, clinic_ids)
    just_unlocked = next((m for m in members if m.user.id == unlocked), None)
    return render(
        request,
        "auth/staff.html",
        {
            "members": members,
            "just_unlocked": just_unlocked,
            "many_clinics": len(clinic_ids) > 1,
            "timezone": request.app.state.settings.timezone,
            "role_words": ROLE_WORDS,
            "invited": staff.NO_PASSWORD,
            "can_settings": bool(principal.clinics_with(Permission.SETTINGS_MANAGE)),
        },
    )


def _new_form(
    request: Request,
    db: Session,
    principal: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    link: str = "",
    status_code: int = 200,
) -> Response:
    clinics = _clinics(db, principal.require_any(Permission.STAFF_ADMIN))
    return render(
        request,
        "auth/staff_new.html",
        {
            "values": values,
            "errors": errors,
            "roles": ROLE_OPTIONS,
            "clinics": [(c.id, c.name) for c in clinics],
            "link": link,
        },
        status_code=status_code,
    )


@_staff.get("/new")
def staff_new(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    clinic_ids = principal.require_any(Permission.STAFF_ADMIN)
    return _new_form(request, db, principal, {"clinic_id": str(clinic_ids[0])}, {})


@_staff.post("/new")
def staff_invite(
    request: Request, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    clinic_ids = principal.require_any(Permission.STAFF_ADMIN)
    values = {k: forms.text(form, k) for k in ("name", "email", "role", "clinic_id")}
    if len(clinic_ids) == 1:
        values["clinic_id"] = str(clinic_ids[0])
    clinic_id = int(values["clinic_id"]) if values["clinic_id"].isdigit() else 0
    if clinic_id not in clinic_ids:
        return _new_form(
            request,
            db,
            principal,
            values,
            {"clinic_id": "choose one of your clinics"},
            status_code=422,
        )
    try:
        user, token = staff.invite(
            db,
            principal,
            email=values["email"],
            name=values["name"],
            clinic_id=clinic_id,
            role=values["role"],
        )
    except KetaClinicError as exc:
        return _new_form(request, db, principal, values, form_errors(exc), status_code=422)
    values["name"] = user.name
    return _new_form(request, db, principal, values, {}, link=link_url(request, token))


def _detail(
    request: Request,
    db: Session,
    principal: Principal,
    user_id: int,
    *,
    done: str = "",
    link: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    clinic_ids = principal.require_any(Permission.STAFF_ADMIN)
    user = staff.staff_member(db, user_id, clinic_ids)
    roles = staff.roles_of(db, user.id)
    context: dict[str, Any] = {
        "user": user,
        "clinics": _clinics(db, clinic_ids),
        "roles": roles,
        "other_clinics": len(set(roles) - set(clinic_ids)),
        "role_options": ROLE_OPTIONS,
        "role_words": ROLE_WORDS,
        "mfa_on": is_enabled(user),
        "invited": user.password_hash == staff.NO_PASSWORD,
        "is_me": user.id == principal.user_id,
        "done": DONE.get(done, ""),
        "link": link,
        "errors": errors or {},
        "timezone": request.app.state.settings.timezone,
    }
    return render(request, "auth/staff_member.html", context, status_code=status_code)


@_staff.get("/{user_id}")
def staff_detail(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    user_id: Id,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return _detail(request, db, principal, user_id, done=done)


def _back(user_id: int, done: str) -> Response:
    return RedirectResponse(f"/admin/staff/{user_id}?done={done}", status_code=303)


def _refused(
    request: Request, db: Session, principal: Principal, user_id: int, exc: KetaClinicError
) -> Response:
    return _detail(
        request, db, principal, user_id, errors=form_errors(exc), status_code=exc.status_code
    )


@_staff.post("/{user_id}/deactivate")
def staff_deactivate(
    request: Request, principal: CurrentPrincipal, db: DbSession, user_id: Id
) -> Response:
    try:
        staff.deactivate(db, principal, user_id)
    except KetaClinicError as exc:
        if exc.status_code not in {409, 422}:
            raise
        return _refused(request, db, principal, user_id, exc)
    return _back(user_id, "deactivated")


@_staff.post("/{user_id}/reactivate")
def staff_reactivate(principal: CurrentPrincipal, db: DbSession, user_id: Id) -> Response:
    staff.reactivate(db, principal, user_id)
    return _back(user_id, "reactivated")


@_staff.post("/{user_id}/role")
def staff_role(
    request: Request, principal: CurrentPrincipal, db: DbSession, user_id: Id, form: Form
) -> Response:
    raw_clinic = forms.text(form, "clinic_id")
    clinic_id = int(raw_clinic) if raw_clinic.isdigit() else 0
    if clinic_id not in principal.clinics_with(Permission.STAFF_ADMIN):
        errors = {"clinic_id": "choose one of your clinics"}
        return _detail(request, db, principal, user_id, errors=errors, status_code=422)
    try:
        staff.set_role(db, principal, user_id, clinic_id, forms.text(form, "role") or None)
    except KetaClinicError as exc:
        if exc.status_code not in {409, 422}:
            raise
        return _refused(request, db, principal, user_id, exc)
    return _back(user_id, "role")


@_staff.post("/{user_id}/password-reset")
def staff_password_reset(
    request: Request, principal: CurrentPrincipal, db: DbSession, user_id: Id
) -> Response:
    _, token = staff.reset_password(db, principal, user_id)
    return _detail(request, db, principal, user_id, link=link_url(request, token))


@_staff.post("/{user_id}/mfa-reset")
def staff_mfa_reset(principal: CurrentPrincipal, db: DbSession, user_id: Id) -> Response:
    staff.reset_mfa(db, principal, user_id)
    return _back(user_id, "mfa")


@_staff.post("/{user_id}/unlock")
def staff_unlock(principal: CurrentPrincipal, db: DbSession, user_id: Id) -> Response:
    clinic_ids = principal.require_any(Permission.STAFF_ADMIN)
    user = staff.staff_member(db, user_id, clinic_ids)
    throttle.unlock(db, user, principal=principal, origin=principal.origin)
    return RedirectResponse(f"/admin/staff?unlocked={user.id}", status_code=303)


router.include_router(_staff)
router.include_router(link_views.router)
