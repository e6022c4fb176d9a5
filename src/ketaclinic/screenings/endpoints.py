"""JSON API for intake and eligibility screening."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinical.screening import FACTS
from ketaclinic.kit.fields import Id
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession
from ketaclinic.patients import service as patients
from ketaclinic.screenings import service
from ketaclinic.screenings.deps import policy_of
from ketaclinic.screenings.models import PatientIntake, Screening, ScreeningSignature
from ketaclinic.screenings.schemas import (
    FactOut,
    IntakeIn,
    IntakeOut,
    QueueRowOut,
    RuleSetOut,
    RunIn,
    ScreeningOut,
    ScreeningsOut,
    SignatureOut,
    SignIn,
)

router = APIRouter(prefix="/api/v1", tags=["intake and screening"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Wrong role (signing needs a prescriber)"},
    404: {"description": "No such patient or screening in your clinics"},
    409: {"description": "Already signed, superseded, or the intake changed since"},
    422: {"description": "A field is invalid; `error.fields` names it (facts.<fact>, reason)"},
}


def intake_out(
    patient_id: Id, row: PatientIntake | None, changed: list[str] | None = None
) -> dict[str, Any]:
    return {
        "id": row.id if row else None,
        "patient_id": patient_id,
        "facts": service.intake_facts(row),
        "notes": row.notes if row else "",
        "recorded_at": row.recorded_at if row else None,
        "recorded_by_id": row.recorded_by_id if row else None,
        "changed": changed or [],
    }


def screening_out(row: Screening, signature: ScreeningSignature | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "patient_id": row.patient_id,
        "intake_id": row.intake_id,
        "rule_set_id": row.rule_set_id,
        "rule_set_version": row.rule_set_version,
        "decision": row.decision,
        "facts": service.facts_of(row),
        **service.result_of(row),
        "run_at": row.run_at,
        "run_by_id": row.run_by_id,
        "signature": SignatureOut.model_validate(signature) if signature else None,
    }


def status_out(found: service.Status) -> dict[str, Any]:
    c = found.clearance
    return {
        "state": c.state,
        "message": c.message,
        "cleared": c.cleared,
        "rescreen_offered": c.rescreen_offered,
        "valid_until": c.valid_until,
        "screening_id": found.screening.id if found.screening else None,
    }


@router.get("/screening/facts", response_model=Page[FactOut], responses=ERRORS)
def list_facts(principal: CurrentPrincipal, paging: Paging) -> Any:
    """The intake vocabulary: every fact a rule may read, its kind, unit and range."""
    return paging.of(
        [
            {
                "name": f.name,
                "kind": f.kind,
                "description": f.description,
                "unit": f.unit,
                "minimum": f.minimum,
                "maximum": f.maximum,
                "values": list(f.values),
                "derived": f.name in service.DERIVED_FACTS,
            }
            for f in FACTS.values()
        ]
    )


@router.get("/screening/rule-sets", response_model=Page[RuleSetOut], responses=ERRORS)
def list_rule_sets(request: Request, principal: CurrentPrincipal, paging: Paging) -> Any:
    """The rule sets in force, each rule with its severity, message and source."""
    return paging.of(
        [
            {
                "id": rs.id,
                "version": rs.version,
                "name": rs.name,
                "applies_to": rs.applies_to,
                "facts": list(rs.facts),
                "rules": [
                    {
                        "id": r.id,
                        "severity": r.severity,
                        "message": r.message,
                        "source": r.source,
                        "facts": list(r.facts),
                    }
                    for r in rs.rules
                ],
            }
            for rs in sorted(policy_of(request).rule_sets.values(), key=lambda rs: rs.id)
        ]
    )


@router.get("/screenings/awaiting-signature", response_model=Page[QueueRowOut], responses=ERRORS)
def awaiting_signature(principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    """The newest unsigned screening per patient and rule set, oldest first."""
    return paging.of(
        [
            {
                "screening_id": s.id,
                "patient_id": p.id,
                "mrn": p.mrn,
                "name": f"{p.family_name}, {p.given_name}",
                "rule_set_id": s.rule_set_id,
                "decision": s.decision,
                "run_at": s.run_at,
            }
            for s, p in service.awaiting_signature(db, principal)
        ]
    )


@router.get("/patients/{patient_id}/intake", response_model=IntakeOut, responses=ERRORS)
def get_intake(patient_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    """The current intake (newest version); empty facts when none was recorded."""
    patient = patients.get_patient(db, principal, patient_id)
    return intake_out(patient.id, service.intake(db, principal, patient))


@router.post(
    "/patients/{patient_id}/intake", response_model=IntakeOut, status_code=201, responses=ERRORS
)
def record_intake(
    patient_id: Id, data: IntakeIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Record the whole intake as a new version (unchanged answers store nothing)."""
    patient = patients.get_patient(db, principal, patient_id, write=True)
    row, changed = service.record_intake(db, principal, patient, data.facts, data.notes)
    return intake_out(patient.id, row, changed)


@router.get("/patients/{patient_id}/screenings", response_model=ScreeningsOut, responses=ERRORS)
def list_screenings(
    request: Request,
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    rule_set_id: Annotated[str | None, Query(max_length=40)] = None,
) -> Any:
    """Clearance (for ``rule_set_id`` or the newest of any) and every screening, newest first."""
    patient = patients.get_patient(db, principal, patient_id)
    rows = service.screenings(db, principal, patient)
    found = service.status(db, principal, patient, policy_of(request), rule_set_id=rule_set_id)
    return {"status": status_out(found), **paging.of([screening_out(*r) for r in rows])}


@router.post(
    "/patients/{patient_id}/screenings",
    response_model=ScreeningOut,
    status_code=201,
    responses=ERRORS,
)
def run_screening(
    request: Request, patient_id: Id, data: RunIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Screen the current intake with one rule set; stored with its version and facts."""
    patient = patients.get_patient(db, principal, patient_id, write=True)
    row = service.run(db, principal, patient, data.rule_set_id, policy_of(request))
    return screening_out(row, None)


@router.get(
    "/patients/{patient_id}/screenings/{screening_id}",
    response_model=ScreeningOut,
    responses=ERRORS,
)
def get_screening(
    patient_id: Id, screening_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Any:
    patient = patients.get_patient(db, principal, patient_id)
    return screening_out(*service.get(db, principal, patient, screening_id))


@router.post(
    "/patients/{patient_id}/screenings/{screening_id}/sign",
    response_model=ScreeningOut,
    status_code=201,
    responses=ERRORS,
)
def sign_screening(
    patient_id: Id, screening_id: Id, data: SignIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """A prescriber's decision; differing from the screening needs a written reason."""
    patient = patients.get_patient(db, principal, patient_id)
    signature = service.sign(
        db, principal, patient, screening_id, decision=data.decision, reason=data.reason
    )
    row, _ = service.get(db, principal, patient, screening_id)
    return screening_out(row, signature)
