"""One plan version: its page, status changes, PK plot and revision."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.appointments import series as windows
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.service import user_names
from ketaclinic.clinical.dosing import Dose, DoseError
from ketaclinic.clinical.treatment import actions_from
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import (
    KetaClinicError,
)
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_errors, form_text, render
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service
from ketaclinic.plans.deps import policy_of
from ketaclinic.plans.pk_plot import DEFAULT_MODEL
from ketaclinic.plans.views.common import (
    ACTION_LABELS,
    COMMON,
    _builder,
    _form_values,
    _plan_in,
    _protocol,
    _svg,
)

router = APIRouter(include_in_schema=False)


# ---- one plan -------------------------------------------------------------------


def _plan_page(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: Id,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    policy = policy_of(request)
    view = service.get(db, principal, patient, plan_id)
    protocol = policy.protocols.get(view.plan.protocol_id)
    versions = service.versions(db, principal, view.plan.lineage_id)
    try:
        dose, dose_problems = service.dose_for(db, principal, patient, view.plan, policy), {}
    except DoseError as exc:
        dose, dose_problems = None, exc.fields
    actions = [a for a in actions_from(view.status) if a != "supersede"]
    context = {
        **COMMON,
        "patient": patient,
        "view": view,
        "plan": view.plan,
        "protocol": protocol,
        "sessions": service.sessions_of(view.plan),
        "visits": windows.visits_of_plan(db, patient.clinic_id, view.plan.id),
        "versions": versions,
        "dose": dose,
        "dose_problems": dose_problems,
        "actions": [(a, ACTION_LABELS[a]) for a in actions],
        "can_write": principal.can(Permission.PLAN_WRITE, patient.clinic_id),
        "can_book": principal.can(Permission.PATIENT_WRITE, patient.clinic_id),
        "can_sign": principal.can(Permission.PLAN_SIGN, patient.clinic_id),
        "tz": timezone_of(db, patient.clinic_id),
        "names": user_names(db, [e.by_id for e in view.events], [view.plan.created_by_id]),
        "errors": errors or {},
    }
    return render(request, "plans/detail.html", context, status_code=status_code)


@router.get("/patients/{patient_id}/plans/{plan_id}")
def plan_detail(
    request: Request, patient_id: Id, plan_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    return _plan_page(request, db, principal, patient, plan_id)


@router.post("/patients/{patient_id}/plans/{plan_id}/status")
def plan_status(
    request: Request,
    form: Form,
    patient_id: Id,
    plan_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    try:
        service.transition(
            db,
            principal,
            patient,
            plan_id,
            form_text(form, "action"),
            form_text(form, "reason") or None,
            policy_of(request),
        )
    except KetaClinicError as exc:
        form_errors(exc)  # re-raises what the page cannot explain
        # The lifecycle's refusals are shown at the top of the page.
        return _plan_page(
            request, db, principal, patient, plan_id, {"request": exc.message}, exc.status_code
        )
    return RedirectResponse(f"/patients/{patient.id}/plans/{plan_id}", status_code=303)


@router.get("/patients/{patient_id}/plans/{plan_id}/pk.svg")
def plan_plot(
    request: Request,
    patient_id: Id,
    plan_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    model: str = Query(default=DEFAULT_MODEL, max_length=40),
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    view = service.get(db, principal, patient, plan_id)
    protocol = _protocol(request, view.plan.protocol_id)
    try:
        dose: Dose | None = service.dose_for(db, principal, patient, view.plan, policy_of(request))
        problems: dict[str, str] = {}
    except DoseError as exc:
        dose, problems = None, exc.fields
    return _svg(dose, problems, protocol, model)


@router.get("/patients/{patient_id}/plans/{plan_id}/revise")
def revise_form(
    request: Request, patient_id: Id, plan_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    principal.require(Permission.PLAN_WRITE, patient.clinic_id)
    view = service.get(db, principal, patient, plan_id)
    plan = view.plan
    values = {
        "protocol_id": plan.protocol_id,
        "dose_amount": f"{plan.dose_amount.normalize():f}",
        "preparation": plan.preparation,
        "start_date": max(plan.start_date, today_at(db, patient.clinic_id)).isoformat(),
        "note": plan.note,
        "over_soft_limit_reason": plan.over_soft_limit_reason or "",
    }
    return _builder(request, db, principal, patient, values, plan=plan)


@router.post("/patients/{patient_id}/plans/{plan_id}/revise")
def revise_plan(
    request: Request,
    form: Form,
    patient_id: Id,
    plan_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    current = service.get(db, principal, patient, plan_id, audited=False).plan
    values = _form_values(form)
    data, errors = _plan_in(values)
    if data is not None:
        try:
            row = service.revise(db, principal, patient, plan_id, data, policy_of(request))
        except KetaClinicError as exc:
            errors = form_errors(exc)
            return _builder(
                request,
                db,
                principal,
                patient,
                values,
                errors,
                plan=current,
                status_code=exc.status_code,
            )
        return RedirectResponse(f"/patients/{patient.id}/plans/{row.id}", status_code=303)
    return _builder(request, db, principal, patient, values, errors, plan=current, status_code=422)
