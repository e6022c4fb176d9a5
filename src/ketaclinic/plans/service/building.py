"""Building a plan: the schedule, the dose inside the protocol's limits, draft and revise."""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.treatment import (
    Protocol,
    expand,
    window_after,
)
from ketaclinic.clinical.treatment.model import PreparationSpec
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import Conflict
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors
from ketaclinic.plans import repository as repo
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.plans.schemas import PlanIn
from ketaclinic.plans.service.core import (
    REASON_MIN_LENGTH,
    PlanPolicy,
    save_draft,
)
from ketaclinic.plans.service.reading import (
    get,
)
from ketaclinic.screenings import service as screenings

# ---- building a plan ----------------------------------------------------------


def schedule(protocol: Protocol, start: date) -> list[dict[str, Any]]:
    """The planned sessions at their target gaps from ``start``, each with the
    window it may move in (``window_after`` the previous session's target: the one
    definition the booking service keeps to)."""
    rows = []
    previous: date | None = None
    for session in expand(protocol, include_optional=True):
        target = start + timedelta(days=session.day)
        gap = session.gap
        window = window_after(previous, gap) if gap and previous else None
        rows.append(
            {
                "number": session.number,
                "block": session.block,
                "optional": session.optional,
                "target": target.isoformat(),
                "earliest": (window.earliest if window else target).isoformat(),
                "latest": (window.latest if window else target).isoformat(),
            }
        )
        previous = target
    return rows


def _check_dose(protocol: Protocol, amount: Decimal, reason: str | None) -> str | None:
    """The reason to keep (when above the soft limit); ValidationFailed otherwise."""
    dose = protocol.dose
    unit = dose.unit_label
    if dose.options and amount not in dose.options:
        choices = " or ".join(f"{o.normalize():f}" for o in dose.options)
        raise errors.DoseNotOffered(f"choose {choices} {unit}")
    if amount > dose.hard_limit:
        raise errors.DoseAboveHardLimit(
            f"{amount.normalize():f} {unit} is above the protocol's hard limit of "
            f"{dose.hard_limit.normalize():f} {unit}: refused",
        )
    if amount <= dose.soft_limit:
        return None
    kept = (reason or "").strip()
    if len(kept) < REASON_MIN_LENGTH:
        raise errors.SoftLimitReasonRequired(
            f"above the protocol's soft limit of {dose.soft_limit.normalize():f} {unit}: "
            f"give a reason (at least {REASON_MIN_LENGTH} characters)",
        )
    return kept


def _preparation(protocol: Protocol, label: str | None) -> PreparationSpec:
    if label is None:
        return protocol.preparations[0]
    for spec in protocol.preparations:
        if spec.label == label:
            return spec
    known = "; ".join(p.label for p in protocol.preparations)
    raise errors.UnknownPreparation(f"not one of this protocol's: {known}")


def _validated(
    db: Session, patient: Patient, data: PlanIn, policy: PlanPolicy
) -> tuple[Protocol, Decimal, PreparationSpec, str | None]:
    protocol = policy.protocol(data.protocol_id)
    amount = data.dose_amount if data.dose_amount is not None else protocol.dose.amount
    reason = _check_dose(protocol, amount, data.over_soft_limit_reason)
    spec = _preparation(protocol, data.preparation)
    today = today_at(db, patient.clinic_id)
    if data.start_date < today:
        raise errors.PlanStartInPast()
    if data.start_date > today + timedelta(days=366):
        raise errors.PlanStartTooFar()
    return protocol, amount, spec, reason


def _require_cleared(
    db: Session, principal: Principal, patient: Patient, protocol: Protocol, policy: PlanPolicy
) -> screenings.Status:
    try:
        return screenings.require_clearance(
            db, principal, patient, policy.screening, rule_set_id=protocol.rule_set
        )
    except Conflict as exc:
        raise errors.ScreeningNotCleared(
            f"A plan needs a signed, current screening ({protocol.rule_set}): {exc.message}",
            {"screening": exc.fields.get("screening", "")},
        ) from None


def draft(
    db: Session,
    principal: Principal,
    patient: Patient,
    data: PlanIn,
    policy: PlanPolicy,
    *,
    supersedes: TreatmentPlan | None = None,
) -> TreatmentPlan:
    """A new plan (or a new version of ``supersedes``) as a draft."""
    principal.require(Permission.PLAN_WRITE, patient.clinic_id)
    protocol, amount, spec, reason = _validated(db, patient, data, policy)
    _require_cleared(db, principal, patient, protocol, policy)
    row = TreatmentPlan(
        patient_id=patient.id,
        lineage_id=supersedes.lineage_id if supersedes else secrets.token_hex(8),
        version=supersedes.version + 1 if supersedes else 1,
        supersedes_id=supersedes.id if supersedes else None,
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        dose_amount=amount,
        dose_unit=protocol.dose.unit,
        preparation=spec.label,
        weight_basis=protocol.dose.weight_basis,
        start_date=data.start_date,
        sessions=json.dumps(schedule(protocol, data.start_date)),
        note=data.note.strip(),
        over_soft_limit_reason=reason,
        created_by_id=principal.user_id,
        created_at=utcnow(),
    )
    save_draft(db, principal, patient, row)
    changed = _changed(supersedes, row) if supersedes else []
    audit.on_patient(
        db,
        principal,
        "patient.plan.revise" if supersedes else "patient.plan.draft",
        patient,
        resource_type="treatment_plan",
        resource_id=row.id,
        detail={"protocol": protocol.id, "version": row.version, "changed": changed},
    )
    return row


def _changed(before: TreatmentPlan, after: TreatmentPlan) -> list[str]:
    names = ("protocol_id", "dose_amount", "preparation", "start_date", "note")
    return [n for n in names if getattr(before, n) != getattr(after, n)]


def revise(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: int,
    data: PlanIn,
    policy: PlanPolicy,
) -> TreatmentPlan:
    """A change to a plan is a new version (a draft until signed); the old version
    stays as it was and is superseded when the new one is signed."""
    current = get(db, principal, patient, plan_id, audited=False)
    if current.status in {"completed", "stopped", "superseded"}:
        raise errors.PlanNotRevisable(
            f"A {current.status} plan cannot be revised; start a new plan."
        )
    newest = repo.lineage(db, list(principal.roles), current.plan.lineage_id)[-1]
    if newest.id != current.plan.id:
        raise errors.NewerPlanVersion(f"Version {newest.version} is newer; revise that one.")
    return draft(db, principal, patient, data, policy, supersedes=current.plan)
