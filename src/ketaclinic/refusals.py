"""Recording refused requests (401/403/404 on a record) after their transaction rolled
back: composes the audit trail, the caller (auth) and the patient's clinic (patients),
so it sits above all three; the app hands it to kit.web as ``app.state.on_refused``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.deps import origin_of
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import in_id_range
from ketaclinic.patients.models import Patient
from ketaclinic.portal.actor import PortalPatient


def on_refused(db: Session, request: Request, exc: KetaClinicError) -> None:
    principal = getattr(request.state, "principal", None)
    principal = principal if isinstance(principal, Principal) else None
    route = request.scope.get("route")
    params: dict[str, Any] = dict(request.path_params)
    patient_id = _int_or_none(params.get("patient_id"))
    # A signed-in portal patient asking for a record that is not theirs (a visit or
    # request id): on record in their clinic's trail, with their account as actor.
    portal = getattr(request.state, "portal_patient", None)
    portal = portal if isinstance(portal, PortalPatient) else None
    if exc.status_code == 404 and patient_id is None and portal is None:
        return  # a plain missing page, not an attempt on a record
    clinic_id = portal.clinic_id if portal is not None else None
    if patient_id is not None:
        set_visible_clinics(db, "*")  # system work: find whose record was asked for
        clinic_id = db.scalar(select(Patient.clinic_id).where(Patient.id == patient_id))
        if clinic_id is None:
            patient_id = None
    channel = "api" if request.url.path.startswith("/api/") else "web"
    audit.record(
        db,
        principal,
        _ACTIONS[exc.status_code],
        outcome=audit.DENIED,
        clinic_id=clinic_id,
        patient_id=patient_id,
        resource_type="route",
        resource_id="",
        detail={
            "route": f"{request.method} {getattr(route, 'path', request.url.path)}",
            "params": params,
            "reason": exc.message,
        },
        origin=principal.origin if principal else origin_of(request, channel),
        actor=portal.actor if portal is not None else None,
    )


_ACTIONS = {401: "access.unauthenticated", 403: "access.denied", 404: "access.not_found"}


def _int_or_none(value: Any) -> int | None:
    return None if value is None else in_id_range(value)
