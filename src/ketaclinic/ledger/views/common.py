"""What the ledger's pages share: form reading, refusals shown on the form, the clinic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.auth.clinic import requested_clinic_id, resolve_clinic
from ketaclinic.clinical.controlled import to_mg
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.web import form_errors, render
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import CsEntry

M = TypeVar("M", bound=BaseModel)
KIND_LABELS = {
    "receive": "received",
    "transfer_out": "moved out",
    "transfer_in": "moved in",
    "draw": "drawn",
    "administer": "administered",
    "waste": "wasted",
    "return": "returned",
    "reverse": "correction",
    "destroy": "destroyed",
    "loss": "lost",
    "adjust": "count adjustment",
}
COMMON: dict[str, Any] = {"mg": to_mg, "kinds": KIND_LABELS}


class Refused(Exception):
    def __init__(self, errors: dict[str, str], status_code: int = 422) -> None:
        self.errors, self.status_code = errors, status_code


def _values(form: FormData) -> dict[str, str]:
    return forms.values(form)


def _parse(model: type[M], data: dict[str, Any]) -> M:
    parsed, errors = forms.parse(model, data)
    if parsed is None:
        raise Refused(errors)
    return parsed


def _witness(values: dict[str, str], prefix: str = "witness") -> dict[str, str]:
    return {
        "email": values.get(f"{prefix}_email", ""),
        "password": values.get(f"{prefix}_password", ""),
        "code": values.get(f"{prefix}_code", ""),
    }


def _flat(errors: dict[str, str]) -> dict[str, str]:
    """API-shaped field names (witnesses.0.email) as the form's (witness_email)."""
    out = {}
    for name, message in errors.items():
        if name.startswith(("witnesses.", "second_signer")):
            parts = name.split(".")
            index = int(parts[1]) if parts[0] == "witnesses" else 0
            prefix = "witness" if index == 0 else f"witness{index + 1}"
            name = f"{prefix}_{parts[-1]}"
        out[name] = message
    return out


def _attempt(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except KetaClinicError as exc:
        if exc.status_code not in (409, 422):
            raise
        raise Refused(form_errors(exc), exc.status_code) from exc


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, f"ledger/{name}.html", {**COMMON, **context}, status_code)


def _clinic(
    request: Request,
    db: Session,
    principal: Principal,
    permission: Permission = Permission.LEDGER_READ,
) -> Clinic:
    return resolve_clinic(db, principal, permission, requested_clinic_id(request))


def _patient_labels(
    db: Session, principal: Principal, clinic: Clinic, entries: list[CsEntry]
) -> dict[int, str]:
    ids = sorted({e.patient_id for e in entries if e.patient_id})
    rows = repo.patients_by_id(db, [clinic.id], ids)
    if principal.can(Permission.PATIENT_READ, clinic.id):
        return {p.id: f"{p.family_name}, {p.given_name}" for p in rows}
    return {p.id: f"record {p.mrn}" for p in rows}
