"""Reading plans: one, a patient's, a lineage's versions (every read audited)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.treatment import (
    PlanStatus,
)
from ketaclinic.identity.principal import Principal
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors
from ketaclinic.plans import repository as repo
from ketaclinic.plans.models import PlanEvent, TreatmentPlan
from ketaclinic.plans.service.core import (
    PlanView,
)

# ---- reading ------------------------------------------------------------------


def _status(events: list[PlanEvent]) -> PlanStatus:
    status = events[-1].status if events else "draft"
    return status  # type: ignore[return-value]


def get(
    db: Session, principal: Principal, patient: Patient, plan_id: int, *, audited: bool = True
) -> PlanView:
    clinics = list(principal.roles)
    row = repo.plan(db, clinics, patient.id, plan_id)
    if row is None:
        raise errors.PlanNotFound(f"No treatment plan {plan_id} for this patient.")
    if audited:
        audit.on_patient(
            db,
            principal,
            "patient.read",
            patient,
            resource_type="treatment_plan",
            resource_id=row.id,
            detail={"purpose": "plan"},
        )
    events = repo.events(db, clinics, [row.id])
    return PlanView(row, _status(events), events)


def plans(db: Session, principal: Principal, patient: Patient) -> list[PlanView]:
    """Every plan version of the patient, newest first, with its status."""
    audit.on_patient(db, principal, "patient.read", patient, detail={"purpose": "plans"})
    clinics = list(principal.roles)
    return _views(db, clinics, repo.plans(db, clinics, patient.id))


def versions(db: Session, principal: Principal, lineage_id: str) -> list[PlanView]:
    """Every version of one plan, newest first (read alongside an audited ``get``)."""
    clinics = list(principal.roles)
    return _views(db, clinics, repo.lineage(db, clinics, lineage_id)[::-1])


def _views(db: Session, clinics: list[int], rows: list[TreatmentPlan]) -> list[PlanView]:
    events = repo.events(db, clinics, [r.id for r in rows])
    by_plan: dict[int, list[PlanEvent]] = {r.id: [] for r in rows}
    for event in events:
        by_plan[event.plan_id].append(event)
    return [PlanView(r, _status(by_plan[r.id]), by_plan[r.id]) for r in rows]


def sessions_of(plan: TreatmentPlan) -> list[dict[str, Any]]:
    return list(json.loads(plan.sessions))
