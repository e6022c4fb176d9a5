"""JSON API for the patient's course and booster suggestions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.service import timezone_of
from ketaclinic.kit.fields import Id
from ketaclinic.kit.pagination import Paging
from ketaclinic.kit.web import DbSession
from ketaclinic.outcomes import service
from ketaclinic.outcomes.deps import policy_of
from ketaclinic.outcomes.models import BoosterDecision, BoosterSuggestion
from ketaclinic.outcomes.schemas import (
    CourseOut,
    DecisionOut,
    DismissIn,
    SuggestionsOut,
)

router = APIRouter(prefix="/api/v1", tags=["course and boosters"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Wrong role (a booster decision needs a prescriber)"},
    404: {"description": "No such patient or suggestion in your clinics"},
    409: {
        "description": "The suggestion was already accepted or dismissed, or the plan "
        "cannot be revised (a newer version, not cleared)"
    },
    422: {"description": "A field is invalid; `error.fields` names it (reason)"},
}


def suggestion_out(
    row: BoosterSuggestion, decision: BoosterDecision | None, zone: str
) -> dict[str, Any]:
    return {
        "id": row.id,
        "patient_id": row.patient_id,
        "rule_id": row.rule_id,
        "instrument_id": row.instrument_id,
        "created_at": row.created_at,
        "evidence": service.evidence_of(row),
        "summary": service.describe(row, zone),
        "decision": decision.decision if decision else None,
        "reason": decision.reason if decision else None,
        "decided_at": decision.decided_at if decision else None,
    }


def _score(point: tuple[Any, int] | None) -> dict[str, Any] | None:
    return {"at": point[0], "total": point[1]} if point else None


def course_out(found: service.PatientCourse) -> dict[str, Any]:
    c = found.course
    ind = c.induction
    protocols = [p for _, p in found.treatments]
    return {
        "patient_id": found.patient.id,
        "induction": None
        if ind is None
        else {
            "sessions": ind.sessions,
            "first_at": ind.first_at,
            "last_at": ind.last_at,
            "first_day": ind.first_day,
            "end_day": ind.end_day,
            "span_days": ind.span_days,
            "completed": ind.completed,
            "reason": ind.reason,
        },
        "instruments": [
            {
                "instrument_id": i.instrument_id,
                "instrument_name": service.instrument_name(i.instrument_id),
                "baseline": _score(i.baseline),
                "end_of_induction": _score(i.end),
                "missing": i.missing,
                "change": i.change,
                "percent_change": i.percent_change,
                "response": i.response,
                "remission": i.remission,
                "durability": None
                if i.durability is None
                else {
                    "start": i.durability.start,
                    "lost_at": i.durability.lost_at,
                    "end": i.durability.end,
                    "days": i.durability.days,
                    "censored": i.durability.censored,
                },
            }
            for i in c.instruments
        ],
        "treatments": [
            {"given_at": at, "kind": kind, "protocol_id": protocol}
            for (at, kind), protocol in zip(c.kinds, protocols, strict=False)
        ],
        "first_booster": None
        if c.first_booster is None
        else {
            "at": c.first_booster.at,
            "days": c.first_booster.days,
            "censored": c.first_booster.censored,
        },
        "suggestions": [suggestion_out(s, d, found.zone) for s, d in found.suggestions],
    }


@router.get("/patients/{patient_id}/course", response_model=CourseOut, responses=ERRORS)
def get_course(request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    """The induction, each instrument's end-of-induction summary and durability, the kind
    of every treatment, the time to the first booster and the booster suggestions."""
    return course_out(service.patient_course(db, principal, patient_id, policy_of(request)))


@router.get("/booster-suggestions", response_model=SuggestionsOut, responses=ERRORS)
def list_suggestions(
    request: Request, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    """Undecided booster suggestions where you decide on boosters, newest first."""
    rows = service.pending(db, principal)
    zones: dict[int, str] = {}
    items = [
        suggestion_out(s, None, zones.setdefault(p.clinic_id, timezone_of(db, p.clinic_id)))
        for s, p in rows
    ]
    return paging.of(items)


def _decision_out(
    made: BoosterDecision, accepted: service.Accepted | None = None
) -> dict[str, Any]:
    plan = accepted.plan if accepted else None
    return {
        "suggestion_id": made.suggestion_id,
        "patient_id": made.patient_id,
        "decision": made.decision,
        "reason": made.reason,
        "decided_at": made.decided_at,
        "plan_id": plan.id if plan else None,
        "plan_version": plan.version if plan else None,
        "plan_status": "draft" if plan else None,
        "protocol_id": accepted.protocol_id if accepted else None,
        "next": accepted.next_url if accepted else None,
    }


@router.post(
    "/booster-suggestions/{suggestion_id}/accept",
    response_model=DecisionOut,
    status_code=201,
    responses=ERRORS,
)
def accept(request: Request, suggestion_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Accept: the patient's current plan gets a new version with the booster sessions
    of its protocol's booster rule, a draft a prescriber signs before it is booked
    (``plan_id``, ``plan_version``; ``next`` is its booking page). Without a plan to
    revise, ``next`` is a new plan on the booster protocol (``protocol_id``)."""
    accepted = service.accept(db, principal, suggestion_id, policy_of(request))
    return _decision_out(accepted.decision, accepted)


@router.post(
    "/booster-suggestions/{suggestion_id}/dismiss",
    response_model=DecisionOut,
    status_code=201,
    responses=ERRORS,
)
def dismiss(suggestion_id: Id, data: DismissIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Dismiss with a reason (required)."""
    made, _patient = service.dismiss(db, principal, suggestion_id, data.reason)
    return _decision_out(made)
