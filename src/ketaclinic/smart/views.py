"""/admin/fhir-clients: the administrator registers a system that reads the clinic's
FHIR data (SMART Backend Services) with its public keys, sees every client, and
revokes one (its tokens stop working at once)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.clinic import resolve_clinic_id
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.errors import ClinicNotAllowed
from ketaclinic.auth.service import user_names
from ketaclinic.auth.staff_views import ROLE_WORDS
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.kit import forms as kit_forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.web import DbSession, Form, form_errors, render
from ketaclinic.smart.deps import token_url
from ketaclinic.smart.models import SmartClient
from ketaclinic.smart.service import clients

router = APIRouter(prefix="/admin/fhir-clients", include_in_schema=False)
FIELDS = ("name", "role", "scopes", "jwks", "clinic_id")


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    created: SmartClient | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    rows = clients.listed(db, principal)
    mine = [
        c
        for cid in principal.clinics_with(clients.MANAGE)
        if (c := db.get(Clinic, cid)) is not None
    ]
    people = user_names(
        db, [r.client.created_by for r in rows], [r.client.revoked_by for r in rows]
    )
    context: dict[str, Any] = {
        "rows": rows,
        "clinics": mine,
        "clinic_options": [(c.id, c.name) for c in mine],
        "people": people,
        "created": created,
        "errors": errors or {},
        "values": values or {"scopes": clients.DEFAULT_SCOPES},
        "role_options": [(r.value, ROLE_WORDS[r]) for r in clients.CLIENT_ROLES],
        "role_words": ROLE_WORDS,
        "token_url": token_url(request),
    }
    return render(request, "smart/clients.html", context, status_code)


@router.get("")
def clients_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    return _page(request, db, principal)


@router.post("")
def register_client(
    request: Request, form: Form, principal: CurrentPrincipal, db: DbSession
) -> Response:
    raw = kit_forms.text(form, "clinic_id")
    try:
        wanted = in_id_range(raw)
        if raw and wanted is None:
            raise ClinicNotAllowed()
        clinic_id = resolve_clinic_id(principal, clients.MANAGE, wanted)
        created = clients.register(
            db,
            principal,
            clinic_id,
            name=kit_forms.text(form, "name"),
            role=kit_forms.text(form, "role"),
            scopes=kit_forms.text(form, "scopes"),
            jwks=kit_forms.text(form, "jwks"),
        )
    except KetaClinicError as exc:
        db.rollback()
        values = {name: kit_forms.text(form, name) for name in FIELDS}
        return _page(
            request,
            db,
            principal,
            errors=form_errors(exc),
            values=values,
            status_code=exc.status_code,
        )
    return _page(request, db, principal, created=created)


@router.post("/{fhir_client_id}/revoke")
def revoke_client(fhir_client_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    clients.revoke(db, principal, fhir_client_id)
    return RedirectResponse("/admin/fhir-clients", status_code=303)
