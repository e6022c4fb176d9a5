"""The protocol browser, a patient's plans and the plan builder."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.service import user_names
from ketaclinic.clinical.treatment import expand
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import (
    KetaClinicError,
)
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, form_errors, render
from ketaclinic.patients import service as patients
from ketaclinic.plans import errors as plan_errors
from ketaclinic.plans import service
from ketaclinic.plans.deps import policy_of
from ketaclinic.plans.pk_plot import DEFAULT_MODEL
from ketaclinic.plans.views.common import (
    COMMON,
    _builder,
    _dose_preview,
    _form_values,
    _plan_in,
    _protocol,
    _svg,
)

router = APIRouter(include_in_schema=False)


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
