"""JSON API for measurement-based care: instruments, responses, alerts, treatments,
patient links and outcomes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.kit.fields import Id
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession
from ketaclinic.measures import service
from ketaclinic.measures.deps import instrument_out, rules_of
from ketaclinic.measures.schemas import (
    AcknowledgeIn,
    AlertOut,
    InstrumentOut,
    LinkIn,
    LinkOut,
    OutcomeOut,
    ResponseIn,
    ResponseOut,
    TreatmentIn,
    TreatmentOut,
)
from ketaclinic.patients import service as patients

router = APIRouter(prefix="/api/v1", tags=["measurement-based care"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Wrong role"},
    404: {"description": "No such patient in your clinics"},
    422: {"description": "A field is invalid; `error.fields` names it (answers.<item id>)."},
}


@router.get("/instruments", response_model=Page[InstrumentOut], responses=ERRORS)
def list_instruments(principal: CurrentPrincipal, paging: Paging) -> Any:
    """Every questionnaire: items, answer options, scoring range."""
    return paging.of([instrument_out(i) for i in service.instruments()])


@router.get("/patients/{patient_id}/responses", response_model=Page[ResponseOut], responses=ERRORS)
def list_responses(
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    instrument_id: Annotated[str | None, Query(max_length=30)] = None,
) -> Any:
    """The patient's questionnaire responses, oldest first."""
    patient = patients.open_chart(db, principal, patient_id, purpose="responses")
    rows = service.responses(db, principal, patient, instrument_id)
    return paging.of([service.as_dict(r) for r in rows])


@router.post(
    "/patients/{patient_id}/responses",
    status_code=201,
    response_model=ResponseOut,
    responses=ERRORS,
)
def create_response(
    request: Request, patient_id: Id, data: ResponseIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Score and store a response; a suicide-risk answer raises a safety alert."""
    patient = patients.get_patient(db, principal, patient_id, write=True)
    row, alerts = service.record_response(db, principal, patient, data)
    return service.as_dict(row, alerts)


@router.get("/patients/{patient_id}/outcomes", response_model=Page[OutcomeOut], responses=ERRORS)
def patient_outcomes(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    """Baseline, change, response, remission, relapse and futility per questionnaire."""
    patient = patients.open_chart(db, principal, patient_id, purpose="outcomes")
    return paging.of(service.outcome_summaries(db, principal, patient, rules_of(request)))


@router.get("/patients/{patient_id}/alerts", response_model=Page[AlertOut], responses=ERRORS)
def patient_alerts(
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    open_only: bool = False,
) -> Any:
    patient = patients.open_chart(db, principal, patient_id, purpose="alerts")
    return paging.of(service.patient_alerts(db, principal, patient, open_only=open_only))


@router.post(
    "/patients/{patient_id}/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    responses={**ERRORS, 409: {"description": "Already acknowledged"}},
)
def acknowledge_alert(
    patient_id: Id,
    alert_id: Id,
    data: AcknowledgeIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Any:
    """A prescriber or nurse acknowledges a safety alert with a note (audited)."""
    patient = patients.get_patient(db, principal, patient_id)
    return service.acknowledge(db, principal, patient, alert_id, data.note)


@router.get("/alerts", response_model=Page[AlertOut], responses=ERRORS)
def open_alerts(principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    """Every unacknowledged safety alert in your clinics, newest first."""
    return paging.of([alert for alert, _ in service.open_alerts(db, principal)])


@router.get(
    "/patients/{patient_id}/treatments", response_model=Page[TreatmentOut], responses=ERRORS
)
def list_treatments(
    patient_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    patient = patients.open_chart(db, principal, patient_id, purpose="treatments")
    return paging.of(service.treatments(db, principal, patient))


@router.post(
    "/patients/{patient_id}/treatments",
    status_code=201,
    response_model=TreatmentOut,
    responses=ERRORS,
)
def create_treatment(
    patient_id: Id, data: TreatmentIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Record a treatment given (outcomes are measured against these dates)."""
    patient = patients.get_patient(db, principal, patient_id, write=True)
    return service.record_treatment(db, principal, patient, data)


@router.post(
    "/patients/{patient_id}/questionnaire-links",
    status_code=201,
    response_model=LinkOut,
    responses=ERRORS,
)
def create_link(
    request: Request, patient_id: Id, data: LinkIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """A one-time, expiring link for the patient to complete a questionnaire on a
    phone. The URL is shown once."""
    patient = patients.get_patient(db, principal, patient_id, write=True)
    hours = data.valid_hours or request.app.state.settings.questionnaire_link_hours
    link, token = service.create_link(db, principal, patient, data.instrument_id, hours)
    return {
        "id": link.id,
        "instrument_id": link.instrument_id,
        "url": str(request.base_url).rstrip("/") + f"/q/{token}",
        "expires_at": link.expires_at,
    }
