"""Treatment plan use cases: draft from a protocol, revise as a new version, move
through the lifecycle, calculate a session's dose and have a second clinician
release it. Never commits; audits every read and write.

The rules are the pure core's (``clinical.treatment`` for protocols, schedules
and the lifecycle; ``clinical.dosing`` for the dose); this module stores what
they decide.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission
from ketaclinic.clinical.dosing import (
    DEFAULT_MAX_WEIGHT_AGE_DAYS,
    DEFAULT_ROUNDING_TOLERANCE,
    Cm,
    Dose,
    DoseError,
    DoseRequest,
    Kg,
    MgPerMl,
    Minutes,
    Ml,
    Weighing,
    calculate,
    second_check,
)
from ketaclinic.clinical.treatment import (
    PlanStatus,
    Protocol,
    TransitionError,
    expand,
    load_protocols,
    next_status,
    window_after,
)
from ketaclinic.clinical.treatment.model import PreparationSpec
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.kit.errors import Conflict
from ketaclinic.kit.time import recorded_now, to_local, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors
from ketaclinic.plans import repository as repo
from ketaclinic.plans.models import DoseCheck, DoseVerification, PlanEvent, TreatmentPlan
from ketaclinic.plans.schemas import PlanIn
from ketaclinic.screenings import service as screenings

REASON_MIN_LENGTH = 10


@dataclass(frozen=True)
class PlanPolicy:
    protocols: Mapping[str, Protocol] = field(default_factory=load_protocols)
    screening: screenings.ScreeningPolicy = field(default_factory=screenings.ScreeningPolicy)
    weight_max_age_days: int = DEFAULT_MAX_WEIGHT_AGE_DAYS
    volume_step: Decimal = Decimal("0.1")
    # The delivered dose stays within this fraction of the ordered one (settings).
    rounding_tolerance: Decimal = DEFAULT_ROUNDING_TOLERANCE

    def protocol(self, protocol_id: str, field_name: str = "protocol_id") -> Protocol:
        found = self.protocols.get(protocol_id)
        if found is None:
            known = ", ".join(sorted(self.protocols))
            raise errors.UnknownProtocol(f"unknown protocol; known: {known}", field=field_name)
        return found


@dataclass(frozen=True)
class PlanView:
    plan: TreatmentPlan
    status: PlanStatus
    events: list[PlanEvent]


def _dose_error(exc: DoseError) -> errors.DoseRefused:
    return errors.DoseRefused(fields=exc.fields)


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
    db.add(row)
    db.flush()
    db.add(
        PlanEvent(
            plan_id=row.id,
            patient_id=patient.id,
            seq=1,
            action="draft",
            status="draft",
            by_id=principal.user_id,
            at=utcnow(),
        )
    )
    db.flush()
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


# ---- doses --------------------------------------------------------------------


def _weighing(db: Session, principal: Principal, patient: Patient) -> Weighing | None:
    weight, height = repo.latest_weighing(db, list(principal.roles), patient.id)
    if weight is None or weight.weight_kg is None:
        return None
    measured_on = to_local(weight.measured_at, timezone_of(db, patient.clinic_id)).date()
    return Weighing(
        Kg(weight.weight_kg),
        measured_on,
        Cm(height.height_cm) if height is not None and height.height_cm is not None else None,
    )


def dose_for(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan: TreatmentPlan,
    policy: PlanPolicy,
    *,
    session_number: int = 1,
    over_soft_limit_reason: str | None = None,
) -> Dose:
    """Today's dose for one session of the plan, on the chart's newest weight;
    ``DoseError`` when it cannot be given (stale weight, limits, container)."""
    protocol = policy.protocol(plan.protocol_id)
    spec = _preparation(protocol, plan.preparation)
    amount = plan.dose_amount
    if session_number == 1 and protocol.dose.first_session_amount is not None:
        amount = protocol.dose.first_session_amount
    reason = over_soft_limit_reason or plan.over_soft_limit_reason
    return calculate(
        DoseRequest(
            rule=protocol.dose.rule(amount),
            preparation=spec.to_preparation(Ml(policy.volume_step)),
            duration=Minutes(protocol.dose.duration_min) if protocol.dose.duration_min else None,
            basis=protocol.dose.weight_basis,
            weighing=_weighing(db, principal, patient),
            sex_at_birth=patient.sex_at_birth,
            today=today_at(db, patient.clinic_id),
            max_weight_age_days=policy.weight_max_age_days,
            over_soft_limit_reason=reason,
            rounding_tolerance=policy.rounding_tolerance,
        )
    )


def calculate_dose(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: int,
    session_number: int,
    policy: PlanPolicy,
    over_soft_limit_reason: str | None = None,
) -> DoseCheck:
    """The first clinician's calculation for a session of an active or signed plan."""
    principal.require(Permission.PLAN_WRITE, patient.clinic_id)
    view = get(db, principal, patient, plan_id, audited=False)
    if view.status not in {"signed", "active"}:
        raise errors.DosePlanNotActive(
            f"Doses are calculated for a signed or active plan; this one is {view.status}."
        )
    if session_number > len(sessions_of(view.plan)):
        raise errors.SessionBeyondPlan()
    try:
        dose = dose_for(
            db,
            principal,
            patient,
            view.plan,
            policy,
            session_number=session_number,
            over_soft_limit_reason=over_soft_limit_reason,
        )
    except DoseError as exc:
        raise _dose_error(exc) from None
    weighing = _weighing(db, principal, patient) if dose.dosing_weight is not None else None
    protocol = policy.protocol(view.plan.protocol_id)
    spec = _preparation(protocol, view.plan.preparation)
    row = DoseCheck(
        plan_id=view.plan.id,
        patient_id=patient.id,
        session_number=session_number,
        weight_kg=weighing.weight.value if weighing else None,
        weighed_on=weighing.measured_on if weighing else None,
        concentration_mg_per_ml=spec.concentration_mg_per_ml,
        dose_mg=dose.dose.value,
        volume_ml=dose.volume.value if dose.volume else None,
        rate_ml_per_h=dose.rate.value.quantize(Decimal("0.001")) if dose.rate else None,
        duration_min=int(dose.duration.value) if dose.duration else None,
        devices=dose.devices,
        over_soft_limit_reason=dose.reason,
        calculated_by_id=principal.user_id,
        calculated_at=recorded_now(),
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.dose.calculate",
        patient,
        resource_type="dose_check",
        resource_id=row.id,
        detail={"plan_id": view.plan.id, "session": session_number},
    )
    return row


def verify_dose(
    db: Session,
    principal: Principal,
    patient: Patient,
    plan_id: int,
    check_id: int,
    weight_kg: Decimal,
    concentration_mg_per_ml: Decimal | None,
) -> DoseVerification:
    """A second clinician's blind re-entry. A mismatch is recorded (and refused);
    a match releases the dose."""
    principal.require(Permission.PLAN_WRITE, patient.clinic_id)
    check = repo.dose_check(db, list(principal.roles), plan_id, check_id)
    if check is None or check.patient_id != patient.id:
        raise errors.DoseCheckNotFound(f"No dose check {check_id} on this plan.")
    if check.calculated_by_id == principal.user_id:
        raise errors.SecondCheckSameClinician()
    checks = repo.dose_checks(db, list(principal.roles), plan_id)
    if any(v.matched for c, vs in checks if c.id == check.id for v in vs):
        raise errors.DoseAlreadyReleased()
    # Only what the dose rests on is re-entered: no weight for a fixed dose, no
    # concentration for nasal devices.
    recorded_weight = check.weight_kg if check.weight_kg is not None else weight_kg
    recorded_concentration = check.concentration_mg_per_ml
    if recorded_concentration is None:
        recorded_concentration = concentration_mg_per_ml or Decimal(1)
    problems: dict[str, str] = {}
    try:
        second_check(
            weight=Kg(recorded_weight),
            concentration=MgPerMl(recorded_concentration),
            entered_weight=Kg(weight_kg),
            entered_concentration=MgPerMl(concentration_mg_per_ml or recorded_concentration),
        )
    except DoseError as exc:
        problems = exc.fields
    if check.concentration_mg_per_ml is not None and concentration_mg_per_ml is None:
        problems["concentration_mg_per_ml"] = "enter the concentration on the label"
    row = DoseVerification(
        check_id=check.id,
        patient_id=patient.id,
        matched=not problems,
        mismatched_fields=",".join(sorted(problems)),
        verified_by_id=principal.user_id,
        verified_at=recorded_now(),
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.dose.verify",
        patient,
        resource_type="dose_check",
        resource_id=check.id,
        detail={"matched": not problems, "mismatched": sorted(problems)},
    )
    return row


def released(verifications: list[DoseVerification]) -> bool:
    return any(v.matched for v in verifications)


def dose_checks(
    db: Session, principal: Principal, patient: Patient, plan_id: int
) -> list[tuple[DoseCheck, list[DoseVerification]]]:
    return repo.dose_checks(db, list(principal.roles), plan_id)
