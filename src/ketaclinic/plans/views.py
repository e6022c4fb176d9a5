"""Staff pages for protocols and treatment plans: the protocol browser, a
patient's plans, the plan builder (sessions and windows, today's dose and pump
rate, the PK preview), a plan with its lifecycle actions, revisions, and the dose
double-check screen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.appointments import series as windows
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission
from ketaclinic.auth.service import user_names
from ketaclinic.clinical.dosing import Dose, DoseError
from ketaclinic.clinical.pk import MODELS
from ketaclinic.clinical.treatment import Protocol, actions_from, expand
from ketaclinic.clinical.treatment.model import UNIT_LABELS
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.kit import forms
from ketaclinic.kit.errors import (
    KetaClinicError,
)
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_errors, form_text, render
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors as plan_errors
from ketaclinic.plans import service
from ketaclinic.plans.deps import policy_of
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.plans.pk_plot import DEFAULT_MODEL, model_choices, preview, preview_svg
from ketaclinic.plans.schemas import PlanIn
from ketaclinic.screenings import service as screenings

router = APIRouter(include_in_schema=False)
# What every plan page may show: unit labels and Decimal for rounding on display.
COMMON: dict[str, Any] = {"units": UNIT_LABELS, "Decimal": Decimal, "pk_models": model_choices()}
PLOT_CSP = "default-src 'none'; style-src 'unsafe-inline'"
ACTION_LABELS = {
    "sign": "Sign plan",
    "start": "Mark started",
    "pause": "Pause",
    "resume": "Resume",
    "complete": "Mark completed",
    "stop": "Stop",
}


def _protocol(request: Request, protocol_id: str) -> Protocol:
    found = policy_of(request).protocols.get(protocol_id)
    if found is None:
        raise plan_errors.ProtocolNotFound(f"No protocol {protocol_id!r}.")
    return found


# ---- the protocol browser -------------------------------------------------------


@router.get("/protocols")
def protocol_list(request: Request, principal: CurrentPrincipal) -> Response:
    protocols = sorted(policy_of(request).protocols.values(), key=lambda p: p.name)
    return render(request, "plans/protocols.html", {"protocols": protocols})


@router.get("/protocols/{protocol_id}")
def protocol_detail(request: Request, protocol_id: str, principal: CurrentPrincipal) -> Response:
    protocol = _protocol(request, protocol_id)
    sessions = expand(protocol, include_optional=True)
    return render(request, "plans/protocol.html", {"p": protocol, "sessions": sessions})


# ---- a patient's plans and the builder --------------------------------------------


@router.get("/patients/{patient_id}/plans")
def patient_plans(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    views = service.plans(db, principal, patient)
    context = {
        **COMMON,
        "patient": patient,
        "views": views,
        "tz": timezone_of(db, patient.clinic_id),
        "protocols": sorted(policy_of(request).protocols.values(), key=lambda p: p.name),
        "can_write": principal.can(Permission.PLAN_WRITE, patient.clinic_id),
        "names": user_names(db, [v.plan.created_by_id for v in views]),
    }
    return render(request, "plans/list.html", context)


def _form_values(form: FormData) -> dict[str, str]:
    names = (
        "protocol_id",
        "dose_amount",
        "preparation",
        "start_date",
        "note",
        "over_soft_limit_reason",
    )
    return forms.values(form, names)


def _plan_in(values: dict[str, str]) -> tuple[PlanIn | None, dict[str, str]]:
    return forms.parse(PlanIn, forms.given(values))


def _dose_preview(
    db: Session,
    principal: Principal,
    patient: Patient,
    protocol: Protocol,
    values: dict[str, str],
    policy: service.PlanPolicy,
) -> tuple[Dose | None, dict[str, str]]:
    """Today's dose for session 1 with the values on the form, or why not."""
    try:
        amount = Decimal(values["dose_amount"]) if values.get("dose_amount") else None
    except InvalidOperation:
        return None, {"dose_amount": "enter a number"}
    draft = TreatmentPlan(
        protocol_id=protocol.id,
        dose_amount=amount if amount is not None else protocol.dose.amount,
        preparation=values.get("preparation") or protocol.preparations[0].label,
        over_soft_limit_reason=values.get("over_soft_limit_reason") or None,
    )
    try:
        return service.dose_for(db, principal, patient, draft, policy), {}
    except DoseError as exc:
        return None, exc.fields
    except KetaClinicError as exc:
        return None, dict(exc.fields)


def _builder(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    plan: TreatmentPlan | None = None,
    status_code: int = 200,
) -> Response:
    policy = policy_of(request)
    protocol = policy.protocols.get(values.get("protocol_id", ""))
    context: dict[str, Any] = {
        **COMMON,
        "patient": patient,
        "values": values,
        "errors": errors or {},
        "plan": plan,
        "protocols": sorted(policy.protocols.values(), key=lambda p: p.name),
        "protocol": protocol,
        "tz": timezone_of(db, patient.clinic_id),
    }
    if protocol is not None:
        try:
            start = date.fromisoformat(values.get("start_date", ""))
        except ValueError:
            start = today_at(db, patient.clinic_id)
        context["sessions"] = service.schedule(protocol, start)
        context["dose"], context["dose_problems"] = _dose_preview(
            db, principal, patient, protocol, values, policy
        )
        context["clearance"] = screenings.status(
            db, principal, patient, policy.screening, rule_set_id=protocol.rule_set
        ).clearance
    return render(request, "plans/builder.html", context, status_code=status_code)


@router.get("/patients/{patient_id}/plans/new")
def plan_builder(
    request: Request,
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    protocol_id: str = "",
    dose_amount: str = "",
    preparation: str = "",
    start_date: str = "",
) -> Response:
    patient = patients.open_chart(db, principal, patient_id, purpose="plan builder")
    principal.require(Permission.PLAN_WRITE, patient.clinic_id)
    values = {
        "protocol_id": protocol_id,
        "dose_amount": dose_amount,
        "preparation": preparation,
        "start_date": start_date or today_at(db, patient.clinic_id).isoformat(),
    }
    return _builder(request, db, principal, patient, values)


@router.post("/patients/{patient_id}/plans/new")
def create_plan(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    values = _form_values(form)
    data, errors = _plan_in(values)
    if data is not None:
        try:
            row = service.draft(db, principal, patient, data, policy_of(request))
        except KetaClinicError as exc:
            errors = form_errors(exc)
            return _builder(
                request, db, principal, patient, values, errors, status_code=exc.status_code
            )
        return RedirectResponse(f"/patients/{patient.id}/plans/{row.id}", status_code=303)
    return _builder(request, db, principal, patient, values, errors, status_code=422)


@router.get("/patients/{patient_id}/plans/preview.svg")
def builder_plot(
    request: Request,
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    protocol_id: str = Query(default="", max_length=40),
    dose_amount: str = Query(default="", max_length=12),
    preparation: str = Query(default="", max_length=100),
    model: str = Query(default=DEFAULT_MODEL, max_length=40),
) -> Response:
    """The PK preview for the builder's current choices (session 1, today's weight)."""
    patient = patients.open_chart(db, principal, patient_id, purpose="pk preview")
    protocol = policy_of(request).protocols.get(protocol_id)
    if protocol is None:
        raise plan_errors.ProtocolRequired()
    values = {"dose_amount": dose_amount, "preparation": preparation}
    dose, problems = _dose_preview(db, principal, patient, protocol, values, policy_of(request))
    return _svg(dose, problems, protocol, model)


def _svg(
    dose: Dose | None, problems: dict[str, str], protocol: Protocol, model: str = DEFAULT_MODEL
) -> Response:
    if model not in MODELS:
        raise plan_errors.UnknownPkModel(f"unknown model; known: {', '.join(MODELS)}")
    if dose is None or dose.duration is None or dose.dosing_weight is None:
        # Not a 404: under a patient's URL that would read as a hidden chart.
        why = "; ".join(problems.values()) or "the models are for intravenous infusions"
        raise plan_errors.NoPkPreview(f"No PK preview: {why}.", {"plan": why})
    found = preview(
        float(dose.dosing_weight.value),
        float(dose.dose.value),
        float(dose.duration.value),
        model=model,
    )
    title = f"{protocol.name}: {dose.dose} over {dose.duration} at {dose.dosing_weight}"
    return Response(
        preview_svg(found, title),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": PLOT_CSP},
    )


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
