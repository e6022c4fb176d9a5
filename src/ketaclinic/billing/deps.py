"""Billing's request helpers: the clinic a request is about, and a line as the API
shows it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

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
