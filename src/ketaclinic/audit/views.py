"""The audit trail page for clinic admins: /admin/audit."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.responses import Response

from ketaclinic.audit import service as audit
from ketaclinic.audit.errors import AuditPatientUnknown
from ketaclinic.audit.words import action_label
from ketaclinic.auth import audit_access as access
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.web import DbSession, is_htmx, render
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient

router = APIRouter(prefix="/admin/audit", include_in_schema=False)
PAGE_SIZE = 50
# What admins most often look for; any prefix can be typed too.
ACTION_CHOICES = [
    ("patient.read", "Chart opened"),
    ("patient.search", "Patient search"),
    ("patient.create", "Patient registered"),
    ("patient.update", "Demographics changed"),
    ("patient.", "Any chart activity"),
    ("access.", "Refused access"),
    ("auth.", "Sign-in and two-factor"),
    ("audit.", "Audit trail read or exported"),
]


def _date(raw: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = "must be a date like 2026-11-23"
        return None


@router.get("")
def audit_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    clinic: Annotated[str, Query(max_length=12)] = "",
    patient: Annotated[str, Query(max_length=40)] = "",
    user: Annotated[str, Query(max_length=254)] = "",
    action: Annotated[str, Query(max_length=80)] = "",
    outcome: Annotated[str, Query(pattern="^(|allowed|denied)$")] = "",
    since: Annotated[str, Query(alias="from", max_length=20)] = "",
    until: Annotated[str, Query(alias="to", max_length=20)] = "",
    system: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    all_clinics = access.readable_clinics(principal, None)
    clinics = {c.id: c for c in db.scalars(select(Clinic).where(Clinic.id.in_(all_clinics)))}
    errors: dict[str, str] = {}
    clinic_id = int(clinic) if clinic.isdigit() and int(clinic) in clinics else None
    if clinic and clinic_id is None:
        errors["clinic"] = "is not one of your clinics"
    scope = access.readable_clinics(principal, clinic_id)
    tz = clinics[scope[0]].timezone
    start, end = None, None
    first, last = _date(since, "from", errors), _date(until, "to", errors)
    patient_id = user_id = None
    try:
        start, end = access.day_bounds(first, last, tz)
    except KetaClinicError as exc:
        errors["to"] = exc.fields.get("until", exc.message)
    try:
        if patient.strip():
            patient_id = patients.patient_id_by_reference(db, scope, patient)
            if patient_id is None:
                raise AuditPatientUnknown(f"no patient {patient.strip()!r} in your clinics")
    except KetaClinicError as exc:
        errors["patient"] = exc.fields.get("patient", exc.message)
    try:
        if user.strip():
            user_id = access.user_by_email(db, user)
    except KetaClinicError as exc:
        errors["user"] = exc.fields.get("user", exc.message)
    events: list[Any] = []
    total = 0
    f = audit.AuditFilter(
        clinic_ids=scope,
        include_system=system == "on",
        system_user_ids=access.staff_of(db, scope),
        patient_id=patient_id,
        user_id=user_id,
        action=action.strip() or None,
        outcome=outcome or None,
        since=start,
        until=end,
    )
    if not errors:
        events, total = audit.search(db, f, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        access.record_reading(db, principal, scope, f)
    patient_ids = {e.patient_id for e in events if e.patient_id is not None}
    listed = in_clinics(select(Patient), Patient.clinic_id, scope)
    names = {
        p.id: (f"{p.family_name}, {p.given_name}", p.mrn)
        for p in db.scalars(listed.where(Patient.id.in_(patient_ids)))
    }
    values = {
        "clinic": clinic,
        "patient": patient,
        "user": user,
        "action": action,
        "outcome": outcome,
        "from": since,
        "to": until,
        "system": system,
    }
    query = urlencode({k: v for k, v in values.items() if v})
    context = {
        "events": events,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "values": values,
        "errors": errors,
        "clinics": clinics,
        "tz": tz,
        "names": names,
        "actions": ACTION_CHOICES,
        "label": action_label,
        "query": query,
    }
    status = 422 if errors else 200
    if is_htmx(request) and request.headers.get("HX-Target") == "audit-results":
        return render(request, "audit/_results.html", context, status_code=status)
    return render(request, "audit/list.html", context, status_code=status)
