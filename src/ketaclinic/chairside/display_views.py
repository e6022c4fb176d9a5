"""Wall screens: the administrator's page that makes and switches off display links,
and the read-only board a display link opens (no staff session; initials only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth import polls
from ketaclinic.auth.clinic import resolve_clinic_id
from ketaclinic.auth.deps import CurrentPrincipal, origin_of
from ketaclinic.auth.errors import ClinicNotAllowed
from ketaclinic.auth.service import user_names
from ketaclinic.chairside import board as board_view
from ketaclinic.chairside import displays, errors
from ketaclinic.chairside.deps import policy_of
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms as kit_forms
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.time import utcnow
from ketaclinic.kit.web import DbSession, Form, form_errors, render

router = APIRouter(include_in_schema=False)


# ---- the administrator's page -------------------------------------------------------------


def _admin_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    created: tuple[displays.DisplayToken, str] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = displays.listed(db, principal)
    clinics = [
        c
        for cid in principal.clinics_with(Permission.DISPLAY_MANAGE)
        if (c := db.get(Clinic, cid)) is not None
    ]
    people = user_names(
        db, [r.display.created_by for r in rows], [r.display.revoked_by for r in rows]
    )
    context: dict[str, Any] = {
        "rows": rows,
        "clinics": clinics,
        "people": people,
        "created": created,
        "errors": errors or {},
        "values": values or {},
    }
    if created is not None:
        context["created_url"] = str(request.base_url).rstrip("/") + f"/display/{created[1]}"
    return render(request, "chairside/displays.html", context, status_code)


@router.get("/admin/displays")
def displays_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    return _admin_page(request, db, principal)


@router.post("/admin/displays")
def create_display(
    request: Request, form: Form, principal: CurrentPrincipal, db: DbSession
) -> Response:
    raw = kit_forms.text(form, "clinic_id")
    try:
        wanted = in_id_range(raw)
        if raw and wanted is None:
            raise ClinicNotAllowed()
        # The clinic named, or the administrator's only one; several and none named:
        # asked beside the field, never the first guessed.
        clinic_id = resolve_clinic_id(principal, Permission.DISPLAY_MANAGE, wanted)
        created = displays.create(db, principal, clinic_id, kit_forms.text(form, "label"))
    except KetaClinicError as exc:
        db.rollback()
        values = {"label": kit_forms.text(form, "label"), "clinic_id": raw}
        return _admin_page(
            request,
            db,
            principal,
            errors=form_errors(exc),
            values=values,
            status_code=exc.status_code,
        )
    # The link is shown this once (only its hash is kept): no redirect that would lose it.
    response = _admin_page(request, db, principal, created=created)
    response.headers["HX-Replace-Url"] = "/admin/displays"
    return response


@router.post("/admin/displays/{display_id}/revoke")
def revoke_display(display_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    displays.revoke(db, principal, display_id)
    return RedirectResponse("/admin/displays", status_code=303)


# ---- the wall screen ----------------------------------------------------------------------


def _screen(request: Request, db: Session, token: str, name: str, *, opening: bool) -> Response:
    row = displays.by_token(db, token)
    if row is None:
        raise errors.DisplayNotFound(
            "This wall screen's link is not known. Ask the clinic's administrator."
        )
    origin = origin_of(request, "web")
    if row.revoked_at is not None:
        displays.record(db, row, "display.refused", origin, {})
        if opening:
            return render(request, "chairside/display_off.html", {}, 410)
        return render(request, "chairside/_display_off.html")  # the poll stops here
    clinic = db.get(Clinic, row.clinic_id)
    assert clinic is not None
    set_visible_clinics(db, [clinic.id])  # row-level security: this clinic's rows only
    b = board_view.board_of(db, clinic, policy_of(request))
    shown = b.shown
    holder = f"display:{row.id}:{row.token_hash}"
    if opening or not polls.covered_for(request, holder, shown):
        action = "display.opened" if opening else "display.viewed"
        displays.record(db, row, action, origin, {"patients": b.patient_ids})
    displays.used(db, row)
    return render(
        request,
        name,
        {
            "board": b,
            "rows": board_view.wall(b),
            "tz": clinic.timezone,
            "now": utcnow(),
            "token": token,
            "view_id": polls.view_id_for(request, holder, shown),
        },
    )


@router.get("/display/{token}")
def screen(request: Request, token: str, db: DbSession) -> Response:
    return _screen(request, db, token, "chairside/display.html", opening=True)


@router.get("/display/{token}/rows")
def screen_rows(request: Request, token: str, db: DbSession) -> Response:
    """The screen's rows alone, polled every 15 seconds."""
    return _screen(request, db, token, "chairside/_display_rows.html", opening=False)
