"""Billing's request helpers: the clinic a request is about, a line as the API shows
it, a period's query dates and a document's download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.clinic import resolve_own_clinic
from ketaclinic.billing.models import ChargeLine
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission


def clinic_for(
    db: Session, principal: Principal, permission: Permission, wanted: int | None
) -> Clinic:
    return resolve_own_clinic(db, principal, permission, wanted)


def charge_out(line: ChargeLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "session_id": line.session_id,
        "patient_id": line.patient_id,
        "date_of_service": line.date_of_service,
        "place_of_service": line.place_of_service,
        "code": line.code,
        "description": line.description,
        "modifiers": line.modifiers.split(),
        "units": line.units,
        "ndc": line.ndc,
        "ndc_quantity": line.ndc_quantity,
        "ndc_unit": line.ndc_unit,
        "diagnoses": line.diagnoses.split(),
        "pointers": line.pointers,
        "unit_price_cents": line.unit_price_cents,
        "amount_cents": line.amount_cents,
        "status": line.status,
        "corrects_id": line.corrects_id,
        "reason": line.reason,
        "finalised_at": line.finalised_at,
    }


# A period's first and last day as typed (``?from=&to=``), parsed by the caller so a
# bad one is refused naming its field.
FromText = Annotated[str, Query(alias="from", max_length=10)]
ToText = Annotated[str, Query(alias="to", max_length=10)]


def download(body: bytes | str, filename: str, media_type: str = "application/pdf") -> Response:
    """A document to save, never cached (it holds a patient's data)."""
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
