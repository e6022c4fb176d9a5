"""JSON API for billing: a visit's charges (make, review, finalise, correct), the
prescriber's evaluation, the clinic's visits with charges and its fee schedule."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing import deps
from ketaclinic.billing.schemas import (
    ChargeOut,
    ClaimFormsOut,
    CorrectionIn,
    CoverageIn,
    CoverageOut,
    EvaluationIn,
    EvaluationOut,
    FeeIn,
    FeeOut,
    VisitChargesOut,
    plan_of,
)
from ketaclinic.billing.service import charges, claim, fees, review
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession

router = APIRouter(prefix="/api/v1/billing", tags=["billing"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Your role may not do this"},
    404: {"description": "No such visit or charge line in your clinics"},
    409: {
        "description": "The visit is not completed, the line is final or not ready, or "
        "the claim lacks an item (`error.fields` names it)"
    },
    422: {"description": "A field is invalid; `error.fields` names it"},
}


def _visit_lines(db: DbSession, principal: CurrentPrincipal, session_id: int) -> list[Any]:
    found = charges.visit_charges(db, principal, session_id)
    return [deps.charge_out(line) for line in found.lines]


@router.get("/visits", response_model=Page[VisitChargesOut], responses=ERRORS)
def visits(
    principal: CurrentPrincipal, db: DbSession, paging: Paging, clinic_id: Id | None = None
) -> Any:
    """The clinic's visits with charges in the last 45 days, newest first."""
    clinic = deps.clinic_for(db, principal, Permission.BILLING, clinic_id)
    return paging.of(
        {
            "session_id": v.session_id,
            "patient_id": v.patient.id,
            "date_of_service": v.date_of_service,
            "codes": [line.code for line in v.lines],
            "total_cents": v.total_cents,
            "drafts": v.drafts,
            "finals": v.finals,
        }
        for v in review.visits(db, principal, clinic.id)
    )


@router.get("/visits/{session_id}/charges", response_model=Page[ChargeOut], responses=ERRORS)
def visit_charges(
    session_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    """A visit's charge lines in the order they were made (corrections after)."""
    return paging.of(_visit_lines(db, principal, session_id))


@router.get("/visits/{session_id}/cms1500", response_model=ClaimFormsOut, responses=ERRORS)
def cms1500(session_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    """The visit's final lines as CMS-1500 (02/12) forms for a clearinghouse: 409 naming
    the missing item (payer, member_id, diagnoses, an NPI, the TIN, no final line)."""
    found = claim.cms1500_forms(db, principal, session_id)
    return {
        "session_id": found.session_id,
        "patient_id": found.patient.id,
        "lines": found.lines,
        "forms": found.forms,
    }


@router.post("/visits/{session_id}/charges", response_model=Page[ChargeOut], responses=ERRORS)
def make_charges(session_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    """Make (or remake) a completed visit's draft lines from the chart; final lines stay."""
    found = charges.visit_charges(db, principal, session_id, audited=False)
    charges.generate(db, principal, found.session.id)
    return paging.of(_visit_lines(db, principal, session_id))


@router.post("/visits/{session_id}/finalise", response_model=Page[ChargeOut], responses=ERRORS)
def finalise_visit(
    session_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    """Finalise every draft line of the visit (each must have a price and a diagnosis)."""
    charges.finalise_visit(db, principal, session_id)
    return paging.of(_visit_lines(db, principal, session_id))


@router.post("/charges/{line_id}/finalise", response_model=ChargeOut, responses=ERRORS)
def finalise(line_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Finalise one draft line: from now on it is never changed."""
    return deps.charge_out(charges.finalise(db, principal, line_id))


@router.post(
    "/charges/{line_id}/corrections",
    response_model=Page[ChargeOut],
    status_code=201,
    responses=ERRORS,
)
def correct(
    line_id: Id, data: CorrectionIn, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    """Correct a final line: a reversing line and, with ``code``, the right line (drafts)."""
    made = charges.correct(db, principal, line_id, data.reason, data.code, data.units)
    return paging.of(deps.charge_out(line) for line in made)


@router.post(
    "/visits/{session_id}/evaluation",
    response_model=EvaluationOut,
    status_code=201,
    responses=ERRORS,
)
def evaluation(
    session_id: Id, data: EvaluationIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """A prescriber documents a separately identifiable evaluation (billed with modifier 25)."""
    row = charges.document_evaluation(db, principal, session_id, data.code, data.note)
    return {
        "id": row.id,
        "session_id": row.session_id,
        "code": row.code,
        "note": row.note,
        "by_id": row.by_id,
        "at": row.at,
    }


def _fee_rows(db: DbSession, principal: CurrentPrincipal, clinic_id: int) -> list[Any]:
    return [
        {
            "code": row.code,
            "description": row.description,
            "price_cents": row.current.price_cents if row.current else None,
            "effective_from": row.current.effective_from if row.current else None,
            "history": [
                {"price_cents": e.price_cents, "effective_from": e.effective_from, "at": e.at}
                for e in row.history
            ],
        }
        for row in fees.fee_schedule(db, principal, clinic_id)
    ]


@router.get("/fees", response_model=Page[FeeOut], responses=ERRORS)
def fee_schedule(
    principal: CurrentPrincipal, db: DbSession, paging: Paging, clinic_id: Id | None = None
) -> Any:
    """Every code the clinic may bill with its price today and the history of its prices."""
    clinic = deps.clinic_for(db, principal, Permission.SETTINGS_MANAGE, clinic_id)
    return paging.of(_fee_rows(db, principal, clinic.id))


@router.post("/fees", response_model=FeeOut, status_code=201, responses=ERRORS)
def set_fee(data: FeeIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """A new price for a code from a date (the old price stays in the history)."""
    clinic = deps.clinic_for(db, principal, Permission.SETTINGS_MANAGE, data.clinic_id)
    fees.set_fee(db, principal, clinic.id, data.code, data.price_cents, data.effective_from)
    return next(row for row in _fee_rows(db, principal, clinic.id) if row["code"] == data.code)


@router.post(
    "/patients/{patient_id}/coverage",
    response_model=CoverageOut,
    status_code=201,
    responses=ERRORS,
)
def set_coverage(
    patient_id: Id, data: CoverageIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """The patient's insurer and insured member id, shown on the superbill."""
    row = fees.set_coverage(db, principal, patient_id, data.payer, data.member_id, plan_of(data))
    return CoverageOut.model_validate(row, from_attributes=True)
