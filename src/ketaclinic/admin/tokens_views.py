"""/admin/tokens: every API token of the administrator's staff, a new token for one
of them (with SMART scopes for FHIR, or none), and Revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth import staff
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.errors import ApiTokenDetailsInvalid
from ketaclinic.auth.models import ApiToken
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms as kit_forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.web import DbSession, Form, form_errors, render

router = APIRouter(prefix="/admin/tokens", include_in_schema=False)
FIELDS = ("user_id", "label", "scopes")


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    created: tuple[ApiToken, str] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    members = staff.list_staff(db, principal.clinics_with(Permission.STAFF_ADMIN))
    context: dict[str, Any] = {
        "rows": staff.list_tokens(db, principal),
        "timezone": request.app.state.settings.timezone,
        "people": [(m.user.id, m.user.name) for m in members if m.user.is_active],
        "created": created,
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "admin/tokens.html", context, status_code)


@router.get("")
def tokens_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    return _page(request, db, principal)


@router.post("")
def token_issue(
    request: Request, form: Form, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """A new token, shown this once (only its hash is kept): no redirect that would lose it."""
    values = {name: kit_forms.text(form, name) for name in FIELDS}
    try:
        owner = in_id_range(values["user_id"])
        if owner is None:
            raise ApiTokenDetailsInvalid(
                "Please choose whose token it is.", {"user_id": "choose a staff member"}
            )
        created = staff.issue_token(
            db, principal, owner, label=values["label"], scopes=values["scopes"]
        )
    except KetaClinicError as exc:
        db.rollback()
        return _page(
            request,
            db,
            principal,
            errors=form_errors(exc),
            values=values,
            status_code=exc.status_code,
        )
    response = _page(request, db, principal, created=created)
    response.headers["HX-Replace-Url"] = "/admin/tokens"
    return response


@router.post("/{token_id}/revoke")
def token_revoke(principal: CurrentPrincipal, db: DbSession, token_id: Id) -> Response:
    staff.revoke_token(db, principal, token_id)
    return RedirectResponse(f"/admin/tokens#token-{token_id}", status_code=303)
