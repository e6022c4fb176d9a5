"""An accepted booster revises the patient's current plan: a new version (a draft,
signed by a prescriber as any revision is) with the protocol's booster sessions added
after the plan's own (``Protocol.booster``: how many, the first within a few days of
the revision, the rest a gap apart; docs/clinical-references.md#boosters). The
sessions keep their numbers across versions, so the visits booked or given under the
earlier version stay where they are and booking continues with the boosters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.treatment import FollowOn, Protocol, window_after
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors
from ketaclinic.plans import repository as repo
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.plans.service.core import PlanView, save_draft
from ketaclinic.plans.service.reading import _views, sessions_of

BLOCK = "booster"
NOT_REVISABLE = frozenset({"stopped", "superseded"})


def current(db: Session, principal: Principal, patient: Patient) -> PlanView | None:
    """The patient's current plan: the newest version of their newest plan, unless it
    was stopped (then there is none: a new plan starts)."""
    clinics = list(principal.roles)
    rows = repo.plans(db, clinics, patient.id)  # newest first
    if not rows:
        return None
    newest = _views(db, clinics, [rows[0]])[0]
    return None if newest.status in NOT_REVISABLE else newest


def booster_rule(view: PlanView, protocols: Mapping[str, Protocol]) -> FollowOn | None:
    protocol = protocols.get(view.plan.protocol_id)
    return protocol.booster if protocol is not None else None


def booster_sessions(rule: FollowOn, after: int, start: date) -> list[dict[str, Any]]:
    """The sessions a booster adds after session ``after``: the first on ``start`` or
    within ``first_within_days`` of it, each next one in its window after the one before."""
    rows: list[dict[str, Any]] = []
    previous: date | None = None
    for index in range(rule.sessions):
        if previous is None or rule.gap is None:
            target, earliest = start, start
            latest = start + timedelta(days=rule.first_within_days)
            gap = None
        else:
            window = window_after(previous, rule.gap)
            target, earliest, latest = window.target, window.earliest, window.latest
            gap = {"min": rule.gap.min, "target": rule.gap.target, "max": rule.gap.max}
        rows.append(
            {
                "number": after + index + 1,
                "block": BLOCK,
                "optional": False,
                "target": target.isoformat(),
                "earliest": earliest.isoformat(),
                "latest": latest.isoformat(),
                "gap": gap,
            }
        )
        previous = target
    return rows


def add_boosters(
    db: Session,
    principal: Principal,
    patient: Patient,
    view: PlanView,
    protocols: Mapping[str, Protocol],
    *,
    start: date,
    note: str,
) -> TreatmentPlan:
    """A new version of ``view``'s plan with the booster sessions added, as a draft
    (audited as a revision, naming the sessions added)."""
    principal.require(Permission.PLAN_WRITE, patient.clinic_id)
    plan = view.plan
    if view.status in NOT_REVISABLE:
        raise errors.PlanNotRevisable(f"A {view.status} plan cannot be revised; start a new plan.")
    newest = repo.lineage(db, list(principal.roles), plan.lineage_id)[-1]
    if newest.id != plan.id:
        raise errors.NewerPlanVersion(f"Version {newest.version} is newer; revise that one.")
    rule = booster_rule(view, protocols)
    if rule is None:
        raise errors.NoBoosterRule()
    sessions = sessions_of(plan)
    added = booster_sessions(rule, max((int(s["number"]) for s in sessions), default=0), start)
    row = TreatmentPlan(
        patient_id=patient.id,
        lineage_id=plan.lineage_id,
        version=plan.version + 1,
        supersedes_id=plan.id,
        protocol_id=plan.protocol_id,
        protocol_version=plan.protocol_version,
        dose_amount=plan.dose_amount,
        dose_unit=plan.dose_unit,
        preparation=plan.preparation,
        weight_basis=plan.weight_basis,
        start_date=plan.start_date,
        sessions=json.dumps([*sessions, *added]),
        note=note.strip(),
        over_soft_limit_reason=plan.over_soft_limit_reason,
        created_by_id=principal.user_id,
        created_at=utcnow(),
    )
    save_draft(db, principal, patient, row)
    audit.on_patient(
        db,
        principal,
        "patient.plan.revise",
        patient,
        resource_type="treatment_plan",
        resource_id=row.id,
        detail={
            "protocol": plan.protocol_id,
            "version": row.version,
            "changed": ["sessions"],
            "booster_sessions": [s["number"] for s in added],
        },
    )
    return row
