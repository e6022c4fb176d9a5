"""/admin/settings: the clinic's clinical thresholds, each with its default, where
that default comes from and the values accepted; one setting changed per post."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.admin import clinic_settings
from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic_id
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.errors import ClinicNotAllowed
from ketaclinic.clinics import thresholds
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.fields import in_id_range
from ketaclinic.kit.web import DbSession, Form, render

router = APIRouter(prefix="/admin/settings", include_in_schema=False)


def _clinic(principal: Principal, wanted: int | None) -> int:
    """The clinic the page is about: the one named, or the administrator's only one
    (several and none named: the "Which clinic?" page)."""
    return resolve_clinic_id(principal, Permission.SETTINGS_MANAGE, wanted)


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    clinic_id: int,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    saved: str = "",
    status_code: int = 200,
) -> Response:
    views = clinic_settings.overview(db, principal, clinic_id)
    groups: dict[str, list[clinic_settings.SettingView]] = {}
    for view in views:
        groups.setdefault(view.spec.group, []).append(view)
    clinics = [db.get(Clinic, c) for c in principal.clinics_with(Permission.SETTINGS_MANAGE)]
    return render(
        request,
        "admin/settings.html",
        {
            "clinic": db.get(Clinic, clinic_id),
            "clinics": [c for c in clinics if c is not None],
            "groups": groups,
            "errors": errors or {},
            "typed": typed or {},
            "saved": thresholds.all_specs().get(saved),
            "shown": thresholds.stored,
        },
        status_code=status_code,
    )


@router.get("")
def settings_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    saved: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    wanted = requested_clinic_id(request)
    return _page(request, db, principal, _clinic(principal, wanted), saved=saved)


@router.post("")
def settings_change(
    request: Request, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    raw = forms.text(form, "clinic_id")
    wanted = in_id_range(raw)
    if raw and wanted is None:
        raise ClinicNotAllowed()
    clinic_id = _clinic(principal, wanted)
    key = forms.text(form, "key")
    value = "" if forms.text(form, "use_default") else forms.text(form, "value")
    try:
        clinic_settings.change(db, principal, clinic_id, key, value)
    except ValidationFailed as exc:
        return _page(
            request,
            db,
            principal,
            clinic_id,
            errors=dict(exc.fields),
            typed={key: value},
            status_code=422,
        )
    return RedirectResponse(
        f"/admin/settings?clinic_id={clinic_id}&saved={key}#s-{key}", status_code=303
    )
