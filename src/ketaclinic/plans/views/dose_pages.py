"""The dose double-check: the first clinician's calculation, the second's blind re-entry."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.service import user_names
from ketaclinic.clinics.service import timezone_of
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import (
    KetaClinicError,
)
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_errors, form_text, render
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service
from ketaclinic.plans.deps import policy_of

router = APIRouter(include_in_schema=False)


# ---- the dose double-check --------------------------------------------------------


def _dose_page(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: Id,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = service.get(db, principal, patient, plan_id)
    checks = service.dose_checks(db, principal, patient, plan_id)
    protocol = policy_of(request).protocols.get(view.plan.protocol_id)
    context = {
        "patient": patient,
        "view": view,
        "plan": view.plan,
        "protocol": protocol,
        "checks": [(c, vs, service.released(vs)) for c, vs in checks],
        "sessions": service.sessions_of(view.plan),
        "me": principal.user_id,
        "tz": timezone_of(db, patient.clinic_id),
        "names": user_names(
            db,
            [c.calculated_by_id for c, _ in checks],
            [v.verified_by_id for _, vs in checks for v in vs],
        ),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "plans/dose.html", context, status_code=status_code)


@router.get("/patients/{patient_id}/plans/{plan_id}/dose")
def dose_screen(
    request: Request, patient_id: Id, plan_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    principal.require(Permission.PLAN_WRITE, patient.clinic_id)
    return _dose_page(request, db, principal, patient, plan_id)


@router.post("/patients/{patient_id}/plans/{plan_id}/dose")
def dose_calculate(
    request: Request,
    form: Form,
    patient_id: Id,
    plan_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    values = {name: form_text(form, name) for name in ("session_number", "over_soft_limit_reason")}
    try:
        number = int(values["session_number"])
    except ValueError:
        return _dose_page(
            request,
            db,
            principal,
            patient,
            plan_id,
            {"session_number": "choose a session"},
            values,
            422,
        )
    try:
        service.calculate_dose(
            db,
            principal,
            patient,
            plan_id,
            number,
            policy_of(request),
            values["over_soft_limit_reason"] or None,
        )
    except KetaClinicError as exc:
        errors = form_errors(exc)
        return _dose_page(request, db, principal, patient, plan_id, errors, values, exc.status_code)
    return RedirectResponse(f"/patients/{patient.id}/plans/{plan_id}/dose", status_code=303)


@router.post("/patients/{patient_id}/plans/{plan_id}/dose/{check_id}/verify")
def dose_verify(
    request: Request,
    form: Form,
    patient_id: Id,
    plan_id: Id,
    check_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    values = forms.values(form, ("weight_kg", "concentration_mg_per_ml"))
    errors: dict[str, str] = {}
    parsed: dict[str, Decimal | None] = {}
    for name, value in values.items():
        try:
            parsed[name] = Decimal(value) if value else None
        except InvalidOperation:
            errors[name] = "enter a number"
    weight = parsed.get("weight_kg")
    if weight is None and "weight_kg" not in errors:
        errors["weight_kg"] = "enter the weight you read"
    if errors or weight is None:
        return _dose_page(request, db, principal, patient, plan_id, errors, values, 422)
    try:
        found = service.verify_dose(
            db, principal, patient, plan_id, check_id, weight, parsed.get("concentration_mg_per_ml")
        )
    except KetaClinicError as exc:
        if exc.status_code not in {403, 409}:
            raise
        # Refused for this check (same clinician, already released): said on the page.
        return _dose_page(
            request, db, principal, patient, plan_id, {"request": exc.message}, values, 409
        )
    if not found.matched:
        # The mismatch is recorded (committed) and said on the page.
        errors = {
            f: "does not match the first clinician's entry"
            for f in found.mismatched_fields.split(",")
            if f
        }
        return _dose_page(request, db, principal, patient, plan_id, errors, values, 200)
    return RedirectResponse(f"/patients/{patient.id}/plans/{plan_id}/dose", status_code=303)
