"""The lifecycle: sign, start, pause, resume, complete, stop; signing supersedes
older versions."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.treatment import (
    TransitionError,
    next_status,
)
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors
from ketaclinic.plans import repository as repo
from ketaclinic.plans.models import PlanEvent, TreatmentPlan
from ketaclinic.plans.service.building import (
    _require_cleared,
)
from ketaclinic.plans.service.core import (
    PlanPolicy,
)
from ketaclinic.plans.service.reading import (
    _status,
    get,
)

# ---- the lifecycle --------------------------------------------------------------


def transition(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: int,
    action: str,
    reason: str | None,
    policy: PlanPolicy,
) -> PlanEvent:
    """Sign, start, pause, resume, complete or stop one plan version."""
    needed = Permission.PLAN_SIGN if action == "sign" else Permission.PLAN_WRITE
    if not principal.can(needed, patient.clinic_id):
        raise errors.PlanActionForbidden(
            "Only a prescriber can sign a plan." if action == "sign" else None
        )
    view = get(db, principal, patient, plan_id, audited=False)
    if action == "supersede":
        raise errors.SupersedeBySigning()
    try:
        status = next_status(view.status, action, reason)  # type: ignore[arg-type]
    except TransitionError as exc:
        raise errors.PlanTransitionRefused(str(exc), {"action": str(exc)}) from None
    screening_id = None
    if action == "sign":
        protocol = policy.protocol(view.plan.protocol_id)
        cleared = _require_cleared(db, principal, patient, protocol, policy)
        screening_id = cleared.screening.id if cleared.screening else None
        _supersede_older(db, principal, patient, view.plan)
    event = PlanEvent(
        plan_id=view.plan.id,
        patient_id=patient.id,
        seq=len(view.events) + 1,
        action=action,
        status=status,
        reason=(reason or "").strip() or None,
        screening_id=screening_id,
        by_id=principal.user_id,
        at=utcnow(),
    )
    db.add(event)
    _flush_or_conflict(db)
    audit.on_patient(
        db,
        principal,
        f"patient.plan.{action}",
        patient,
        resource_type="treatment_plan",
        resource_id=view.plan.id,
        detail={"from": view.status, "to": status, "screening_id": screening_id},
    )
    return event


def _supersede_older(
    db: Session, principal: Principal, patient: Patient, plan: TreatmentPlan
) -> None:
    clinics = list(principal.roles)
    older = [p for p in repo.lineage(db, clinics, plan.lineage_id) if p.id != plan.id]
    events = repo.events(db, clinics, [p.id for p in older])
    for version in older:
        own = [e for e in events if e.plan_id == version.id]
        if _status(own) in {"completed", "stopped", "superseded"}:
            continue
        db.add(
            PlanEvent(
                plan_id=version.id,
                patient_id=patient.id,
                seq=len(own) + 1,
                action="supersede",
                status="superseded",
                reason=f"replaced by version {plan.version}",
                by_id=principal.user_id,
                at=utcnow(),
            )
        )


def _flush_or_conflict(db: Session) -> None:
    try:
        db.flush()
    except IntegrityError:
        # Someone else changed this plan's status between our read and our write.
        raise errors.PlanChangedMeanwhile() from None
