"""JSON API: GET /api/v1/reports/outcomes, the clinic outcomes report's figures and
Kaplan-Meier tables (aggregates only; reading it is audited)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinical.report_reference import AGE_BANDS, DIAGNOSIS_GROUPS
from ketaclinic.kit.web import DbSession
from ketaclinic.reports import deps, export, service
from ketaclinic.reports.schemas import OutcomeReportOut

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

_DIAGNOSES = ", ".join(f"`{g.id}` ({g.label})" for g in DIAGNOSIS_GROUPS)
_AGES = ", ".join(f"`{b.id}`" for b in AGE_BANDS)
Route = Literal["iv_ketamine", "im_ketamine", "sl_ketamine", "esketamine_nasal"]
Sex = Literal["female", "male", "intersex", "unknown"]


@router.get(
    "/outcomes",
    response_model=OutcomeReportOut,
    responses={
        401: {"description": "No credentials"},
        403: {"description": "No role that reads reports"},
        422: {"description": "A filter is invalid; `error.fields` names it"},
    },
)
def outcomes(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    clinic: Annotated[
        str | None,
        Query(max_length=40, description="A clinic's slug; default: every clinic you may read"),
    ] = None,
    since: Annotated[
        date | None,
        Query(alias="from", description="Induction ended on or after (default: a year ago)"),
    ] = None,
    until: Annotated[
        date | None, Query(alias="to", description="Induction ended on or before (default: today)")
    ] = None,
    protocol: Annotated[
        str | None, Query(max_length=40, description="The induction plan's protocol id")
    ] = None,
    diagnosis: Annotated[
        str | None, Query(max_length=40, description=f"A diagnosis group: {_DIAGNOSES}")
    ] = None,
    route: Annotated[
        Route | None, Query(description="The route of the induction's first treatment")
    ] = None,
    age: Annotated[
        str | None, Query(max_length=10, description=f"An age band at induction: {_AGES}")
    ] = None,
    sex: Annotated[Sex | None, Query(description="Sex at birth")] = None,
) -> dict[str, Any]:
    """Outcomes of the patients who completed induction in the range: per instrument
    the counts (missing end-of-induction measures disclosed), response and remission
    with 95% Wilson intervals and the mean change; durability and time to a first
    booster as Kaplan-Meier tables with 95% bands and medians; safety per 100 sessions;
    CADSS by session number; the published reference. No patient is identified."""
    clinics = deps.clinics_of(db, principal)
    clinic_id = deps.clinic_by_slug(db, principal, clinic) if clinic else None
    r = deps.build_request(
        clinics,
        since=since,
        until=until,
        clinic_id=clinic_id,
        protocol=protocol,
        route=route,
        diagnosis=diagnosis,
        age_band=age,
        sex=sex,
    )
    report = service.outcomes(db, principal, r, protocols=request.app.state.protocols)
    return export.to_json(report)
