"""JSON API for protocols, treatment plans and dose double-checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query, Request

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinical.dosing import DoseError
from ketaclinic.clinical.pk import MODELS
from ketaclinic.clinical.treatment import Protocol, UnknownProtocolError, target_days
from ketaclinic.kit.fields import Id, Record
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession
from ketaclinic.patients import service as patients
from ketaclinic.plans import service
from ketaclinic.plans.deps import policy_of
from ketaclinic.plans.errors import NoPkPreview, ProtocolNotFound, UnknownPkModel
from ketaclinic.plans.models import DoseCheck, DoseVerification
from ketaclinic.plans.pk_plot import DEFAULT_MODEL, preview
from ketaclinic.plans.schemas import (
    ActionIn,
    DoseCheckIn,
    DoseCheckOut,
    PlanIn,
    PlanOut,
    VerifyIn,
)

router = APIRouter(prefix="/api/v1", tags=["treatment plans"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Wrong role (signing needs a prescriber)"},
    404: {"description": "No such patient, plan or dose check in your clinics"},
    409: {"description": "Not allowed in the plan's status, or no current screening"},
    422: {"description": "A field is invalid; `error.fields` names it"},
}


def plain(value: Decimal | None) -> Decimal | None:
    """The same amount without trailing zeros, so both databases answer alike."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


def protocol_out(protocol: Protocol) -> dict[str, Any]:
    return {**protocol.model_dump(mode="python"), "target_days": target_days(protocol)}


def plan_out(view: service.PlanView) -> dict[str, Any]:
    plan = view.plan
    return {
        "id": plan.id,
        "patient_id": plan.patient_id,
        "lineage_id": plan.lineage_id,
        "version": plan.version,
        "supersedes_id": plan.supersedes_id,
        "status": view.status,
        "protocol_id": plan.protocol_id,
        "protocol_version": plan.protocol_version,
        "dose_amount": plain(plan.dose_amount),
        "dose_unit": plan.dose_unit,
        "preparation": plan.preparation,
        "weight_basis": plan.weight_basis,
        "start_date": plan.start_date,
        "sessions": service.sessions_of(plan),
        "note": plan.note,
        "over_soft_limit_reason": plan.over_soft_limit_reason,
        "created_by_id": plan.created_by_id,
        "created_at": plan.created_at,
        "events": [
            {
                "action": e.action,
                "status": e.status,
                "reason": e.reason,
                "by_id": e.by_id,
                "at": e.at,
                "screening_id": e.screening_id,
            }
            for e in view.events
        ],
    }


def check_out(
    check: DoseCheck, verifications: list[DoseVerification], viewer_id: Id
) -> dict[str, Any]:
    """The calculation is hidden from anyone but its author until it is released:
    dose and volume would give away the concentration the second check re-enters."""
    released = service.released(verifications)
    shown = released or viewer_id == check.calculated_by_id
    return {
        "id": check.id,
        "plan_id": check.plan_id,
        "session_number": check.session_number,
        "dose_mg": plain(check.dose_mg) if shown else None,
        "volume_ml": plain(check.volume_ml) if shown else None,
        "rate_ml_per_h": plain(check.rate_ml_per_h) if shown else None,
        "duration_min": check.duration_min,
        "devices": check.devices,
        "calculated_by_id": check.calculated_by_id,
        "calculated_at": check.calculated_at,
        "released": released,
        "verifications": [
            {
                "matched": v.matched,
                "mismatched": [f for f in v.mismatched_fields.split(",") if f],
                "by_id": v.verified_by_id,
                "at": v.verified_at,
            }
            for v in verifications
        ],
    }


@router.get("/protocols", response_model=Page[Record], responses=ERRORS)
def list_protocols(request: Request, principal: CurrentPrincipal, paging: Paging) -> Any:
    """Every protocol in force with its dose rule, limits, sessions and sources."""
    protocols = sorted(policy_of(request).protocols.values(), key=lambda p: p.id)
    return paging.of([protocol_out(p) for p in protocols])


@router.get("/protocols/{protocol_id}", response_model=Record, responses=ERRORS)
def get_protocol(request: Request, protocol_id: str, principal: CurrentPrincipal) -> Any:
    found = policy_of(request).protocols.get(protocol_id)
    if found is None:
        raise ProtocolNotFound(
            str(UnknownProtocolError(protocol_id, sorted(policy_of(request).protocols)))
        )
    return protocol_out(found)


@router.get("/patients/{patient_id}/plans", response_model=Page[PlanOut], responses=ERRORS)
def list_plans(patient_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    """Every version of every plan, newest first, with its status history."""
    patient = patients.get_patient(db, principal, patient_id)
    return paging.of([plan_out(v) for v in service.plans(db, principal, patient)])


@router.post(
    "/patients/{patient_id}/plans", response_model=PlanOut, status_code=201, responses=ERRORS
)
def create_plan(
    request: Request, patient_id: Id, data: PlanIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Draft a plan from a protocol (needs a signed, current screening)."""
    patient = patients.get_patient(db, principal, patient_id)
    row = service.draft(db, principal, patient, data, policy_of(request))
    return plan_out(service.get(db, principal, patient, row.id, audited=False))


@router.get("/patients/{patient_id}/plans/{plan_id}", response_model=PlanOut, responses=ERRORS)
def get_plan(patient_id: Id, plan_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    patient = patients.get_patient(db, principal, patient_id)
    return plan_out(service.get(db, principal, patient, plan_id))


@router.post(
    "/patients/{patient_id}/plans/{plan_id}/revise",
    response_model=PlanOut,
    status_code=201,
    responses=ERRORS,
)
def revise_plan(
    request: Request,
    patient_id: Id,
    plan_id: Id,
    data: PlanIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Any:
    """A new version of the plan (a draft until a prescriber signs it)."""
    patient = patients.get_patient(db, principal, patient_id)
    row = service.revise(db, principal, patient, plan_id, data, policy_of(request))
    return plan_out(service.get(db, principal, patient, row.id, audited=False))


@router.post(
    "/patients/{patient_id}/plans/{plan_id}/status", response_model=PlanOut, responses=ERRORS
)
def change_status(
    request: Request,
    patient_id: Id,
    plan_id: Id,
    data: ActionIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Any:
    """sign (prescriber), start, pause (reason), resume, complete, stop (reason)."""
    patient = patients.get_patient(db, principal, patient_id)
    service.transition(
        db, principal, patient, plan_id, data.action, data.reason, policy_of(request)
    )
    return plan_out(service.get(db, principal, patient, plan_id, audited=False))


@router.get("/patients/{patient_id}/plans/{plan_id}/pk", responses=ERRORS)
def plan_pk(
    request: Request,
    patient_id: Id,
    plan_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    model: str = Query(default=DEFAULT_MODEL, json_schema_extra={"enum": list(MODELS)}),
) -> Any:
    """Predicted plasma concentration (ng/mL) for session 1 on today's weight, per model.

    ``model`` carries the population band (default: the model whose clearance is
    closest to the Kamp 2020 meta-analysis); every model's curve and clearance is
    returned, so the spread between them is visible."""
    if model not in MODELS:
        raise UnknownPkModel(f"unknown model; known: {', '.join(MODELS)}")
    patient = patients.get_patient(db, principal, patient_id)
    view = service.get(db, principal, patient, plan_id)
    try:
        dose = service.dose_for(db, principal, patient, view.plan, policy_of(request))
    except DoseError as exc:
        raise NoPkPreview("No dose to preview.", exc.fields) from None
    if dose.duration is None or dose.dosing_weight is None:
        raise NoPkPreview.on("plan", "the preview models intravenous infusions only")
    found = preview(
        float(dose.dosing_weight.value),
        float(dose.dose.value),
        float(dose.duration.value),
        model=model,
    )
    return {
        "model": found.model,
        "reference": found.reference,
        "reference_clearance_ml_per_kg_per_min": found.reference_clearance_ml_per_kg_per_min,
        "peak_spread_ng_per_ml": list(found.peak_spread_ng_per_ml),
        "minutes": found.minutes,
        "curves": found.curves,
        "population_p05": found.p05,
        "population_p95": found.p95,
        "summary": [vars(c) for c in found.summary],
    }


@router.get(
    "/patients/{patient_id}/plans/{plan_id}/dose-checks",
    response_model=Page[DoseCheckOut],
    responses=ERRORS,
)
def list_dose_checks(
    patient_id: Id, plan_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    patient = patients.get_patient(db, principal, patient_id)
    service.get(db, principal, patient, plan_id)
    rows = service.dose_checks(db, principal, patient, plan_id)
    return paging.of([check_out(c, v, principal.user_id) for c, v in rows])


@router.post(
    "/patients/{patient_id}/plans/{plan_id}/dose-checks",
    response_model=DoseCheckOut,
    status_code=201,
    responses=ERRORS,
)
def create_dose_check(
    request: Request,
    patient_id: Id,
    plan_id: Id,
    data: DoseCheckIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Any:
    """Calculate a session's dose on the chart's newest weight (the first check)."""
    patient = patients.get_patient(db, principal, patient_id)
    row = service.calculate_dose(
        db,
        principal,
        patient,
        plan_id,
        data.session_number,
        policy_of(request),
        data.over_soft_limit_reason,
    )
    return check_out(row, [], principal.user_id)


@router.post(
    "/patients/{patient_id}/plans/{plan_id}/dose-checks/{check_id}/verify",
    response_model=DoseCheckOut,
    status_code=201,
    responses=ERRORS,
)
def verify_dose_check(
    patient_id: Id,
    plan_id: Id,
    check_id: Id,
    data: VerifyIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Any:
    """A different clinician re-enters weight and concentration without seeing the
    first entries; ``released`` is true only when both match. A mismatch is kept."""
    patient = patients.get_patient(db, principal, patient_id)
    service.verify_dose(
        db, principal, patient, plan_id, check_id, data.weight_kg, data.concentration_mg_per_ml
    )
    rows = service.dose_checks(db, principal, patient, plan_id)
    check, verifications = next(r for r in rows if r[0].id == check_id)
    return check_out(check, verifications, principal.user_id)
