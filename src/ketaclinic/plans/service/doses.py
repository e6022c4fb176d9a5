"""A session's dose on the chart's newest weight, released by a second
clinician's blind re-entry."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.dosing import (
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
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import recorded_now, to_local
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors
from ketaclinic.plans import repository as repo
from ketaclinic.plans.models import DoseCheck, DoseVerification, TreatmentPlan
from ketaclinic.plans.service.building import (
    _preparation,
)
from ketaclinic.plans.service.core import (
    PlanPolicy,
    _dose_error,
)
from ketaclinic.plans.service.reading import (
    get,
    sessions_of,
)

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
    clinic = for_clinic(db, patient.clinic_id)
    return calculate(
        DoseRequest(
            rule=protocol.dose.rule(amount),
            preparation=spec.to_preparation(Ml(policy.volume_step)),
            duration=Minutes(protocol.dose.duration_min) if protocol.dose.duration_min else None,
            basis=protocol.dose.weight_basis,
            weighing=_weighing(db, principal, patient),
            sex_at_birth=patient.sex_at_birth,
            today=today_at(db, patient.clinic_id),
            max_weight_age_days=clinic.weight_max_age_days,
            over_soft_limit_reason=reason,
            rounding_tolerance=clinic.rounding_tolerance,
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
