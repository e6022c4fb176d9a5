"""Dose release (dose check, the checker's blind re-entry, the ledger draw and waste,
the step: together or not at all), administration and an early stop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.auth.models import Membership, User
from ketaclinic.chairside.errors import (
    BlockingChecklistOpen,
    CheckerNotClinician,
    DrawBelowDose,
    EarlyEndReasonRequired,
    GivenDoseInvalid,
    NoPumpProgramme,
    RateAboveReleased,
    RateReasonRequired,
    RateRequired,
    StopReasonRequired,
)
from ketaclinic.chairside.schemas import GivenIn, ReleaseIn, StopIn
from ketaclinic.chairside.service.chart import MODALITY, ChairsidePolicy, Chart
from ketaclinic.chairside.service.draws import account_for_draws, check_release, draw_release
from ketaclinic.chairside.service.steps import (
    check_allowed,
    complete_visit,
    for_charting,
    step,
    step_time,
)
from ketaclinic.clinical.chairside import (
    STOP_REASON_LABELS,
    ends_early,
    given_problem,
    infused_minutes,
    stop_reason_problems,
)
from ketaclinic.clinical.controlled import to_mg
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission, Role, roles_with
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import as_utc, recorded_now
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.plans import service as plans
from ketaclinic.treatments.models import TreatmentSession


def checker_principal(db: Session, witness: Witness, clinic_id: int, origin: Any) -> Principal:
    """The second clinician, who has just proved who they are, acting for themselves."""
    role = (
        db.query(Membership.role)
        .filter(Membership.user_id == witness.user_id, Membership.clinic_id == clinic_id)
        .scalar()
    )
    if role is None or Role(role) not in roles_with(Permission.PLAN_WRITE):
        raise CheckerNotClinician("the second check needs a nurse or prescriber")
    user = db.get(User, witness.user_id)
    assert user is not None
    return Principal(user.id, user.email, user.name, {clinic_id: Role(role)}, origin=origin)


def concentration_label(db: Session, principal: Principal, c: Chart) -> str:
    """What the checker reads the concentration from: the bag or syringe prepared for
    the pump (never the vial's strength), in mg/mL."""
    plan = plans.get(db, principal, c.patient, c.session.plan_id, audited=False).plan
    spec = next((p for p in c.protocol.preparations if p.label == plan.preparation), None)
    text = (spec.label if spec else plan.preparation).lower()
    vessel = "syringe" if "syringe" in text or (spec and spec.kind == "injection") else "bag"
    return f"Concentration in the {vessel} (mg/mL)"


class DoseMismatch(ValidationFailed):
    """The second check did not match: recorded, and the release refused. The
    handler commits before answering so the mismatch stays on record."""

    code = "dose_mismatch"


def release_dose(
    db: Session,
    principal: Principal,
    session_id: int,
    data: ReleaseIn,
    checker: Principal,
    witnesses: Sequence[Witness],
    policy: ChairsidePolicy,
) -> Chart:
    """Today's dose, calculated by the nurse and released only by a matching blind
    second check; the stock drawn for it and the excess wasted before a witness are
    ledger entries in this same transaction."""
    c = for_charting(db, principal, session_id, policy, lock=True)
    check_allowed(c.session, "release_dose")
    if c.blocking:
        raise BlockingChecklistOpen(
            "Blocking checklist items are open: " + ", ".join(i.label for i in c.blocking)
        )
    check_release(db, c, data)
    view = plans.get(db, principal, c.patient, c.session.plan_id, audited=False)
    if view.status == "signed":
        # The first dose given starts the plan.
        plans.transition(db, principal, c.patient, view.plan.id, "start", None, policy.plan)
    check = plans.calculate_dose(
        db, principal, c.patient, c.session.plan_id, c.session.session_number, policy.plan
    )
    verification = plans.verify_dose(
        db,
        checker,
        c.patient,
        c.session.plan_id,
        check.id,
        data.weight_kg,
        data.concentration_mg_per_ml,
    )
    if not verification.matched:
        fields = {
            name: "does not match the first calculation"
            for name in verification.mismatched_fields.split(",")
            if name
        }
        raise DoseMismatch("The second check does not match; the dose is not released.", fields)
    if data.drawn_mg is not None and data.drawn_mg < check.dose_mg:
        raise DrawBelowDose(f"draw at least the dose, {check.dose_mg} mg")
    zone = c.clinic.timezone
    treatment = TreatmentSession(
        patient_id=c.patient.id,
        given_at=recorded_now(),
        modality=MODALITY[c.protocol.route],
        plan_id=c.session.plan_id,
        recorded_by_id=principal.user_id,
    )
    db.add(treatment)
    db.flush()
    draw, second, drawn = draw_release(
        db, principal, c, data, check.dose_mg, treatment.id, witnesses
    )
    excess = drawn - check.dose_mg
    if excess > 0:
        ledger.waste(db, principal, draw.id, excess, witnesses, policy.ledger)
    s = c.session
    s.dose_check_id, s.draw_entry_id, s.treatment_session_id = check.id, draw.id, treatment.id
    s.second_draw_entry_id = second.id if second is not None else None
    s.rate_ml_per_h = check.rate_ml_per_h
    step(
        db,
        principal,
        s,
        c.patient,
        "release_dose",
        detail={
            "dose_mg": check.dose_mg,
            "volume_ml": check.volume_ml,
            "rate_ml_per_h": check.rate_ml_per_h,
            "duration_min": check.duration_min,
            "devices": check.devices,
            "drawn_mg": drawn,
            "wasted_mg": excess,
            "container_id": data.container_id,
            **({"second_container_id": data.second_container_id} if second else {}),
            "drawn_from": [
                {"entry_id": e.id, "mg": to_mg(e.amount_ug)} for e in (draw, second) if e
            ],
            "checked_by": checker.name,
            "witnesses": [w.name for w in witnesses],
            "zone": zone,
        },
    )
    return c


def _account_for(
    db: Session,
    principal: Principal,
    c: Chart,
    given: Decimal,
    witnesses: Sequence[Witness],
    policy: ChairsidePolicy,
) -> dict[str, Any]:
    """What was given is administered; what is left in the syringe is wasted before
    a witness: both ledger entries in the caller's transaction."""
    s = c.session
    released = c.dose_check.dose_mg if c.dose_check and s.draw_entry_id is not None else None
    problem = given_problem(given, released)
    if problem:
        raise GivenDoseInvalid(problem)
    if s.draw_entry_id is None:
        return {}
    left = account_for_draws(db, principal, s, given, witnesses, policy.ledger)
    return {"given_mg": given, "wasted_mg": left}


def infused_min(c: Chart, until: datetime) -> Decimal:
    """Minutes the drug ran up to ``until``; pauses stop the clock."""
    started = c.session.administration_started_at
    steps = [(e.action, as_utc(e.at)) for e in sorted(c.events, key=lambda e: e.seq)]
    return infused_minutes(as_utc(started) if started else None, steps, as_utc(until))


def act(
    db: Session,
    principal: Principal,
    session_id: int,
    action: str,
    policy: ChairsidePolicy,
    *,
    reason: str = "",
    rate_ml_per_h: Decimal | None = None,
    at: datetime | None = None,
) -> Chart:
    """Start, pause, resume, change the rate, or observe after an early stop."""
    c = for_charting(db, principal, session_id, policy, lock=True)
    s = c.session
    detail: dict[str, Any] = {}
    if action == "change_rate":
        programmed = c.dose_check.rate_ml_per_h if c.dose_check else None
        if rate_ml_per_h is None:
            raise RateRequired("give the new rate in mL/h")
        if programmed is None:
            raise NoPumpProgramme("this session has no pump programme")
        if rate_ml_per_h > programmed:
            raise RateAboveReleased(
                f"above the released rate of {programmed} "
                "mL/h: a faster rate needs a new dose check",
            )
        if len(reason) < 3:
            raise RateReasonRequired("say why the rate changes")
        detail = {"from_ml_per_h": s.rate_ml_per_h, "to_ml_per_h": rate_ml_per_h}
    check_allowed(s, action)
    when = step_time(db, s, at)
    if action == "start":
        s.administration_started_at = when
    if action == "change_rate":
        s.rate_ml_per_h = rate_ml_per_h
    step(db, principal, s, c.patient, action, reason=reason, detail=detail or None, at=when)
    return c


def end_administration(
    db: Session,
    principal: Principal,
    session_id: int,
    data: GivenIn,
    witnesses: Sequence[Witness],
    policy: ChairsidePolicy,
) -> Chart:
    """The end of the administration, with the amount given. Ended well before its
    planned duration it is an early stop: the reason is required and recorded."""
    c = for_charting(db, principal, session_id, policy, lock=True)
    check_allowed(c.session, "end_administration")
    when = step_time(db, c.session, data.at)
    ran = infused_min(c, when)
    planned = c.dose_check.duration_min if c.dose_check else None
    detail: dict[str, Any] = {"infused_min": ran, "planned_min": planned}
    reason = ""
    if ends_early(ran, planned, c.settings.early_end_fraction):
        problems = stop_reason_problems(data.early_reason, data.early_note)
        if problems:
            message = f"The drug ran {ran} of {planned} minutes: say why it ends early."
            raise EarlyEndReasonRequired(message, problems)
        assert data.early_reason is not None
        reason = STOP_REASON_LABELS[data.early_reason]
        if data.early_note.strip():
            reason += f": {data.early_note.strip()}"
        detail |= {"ended_early": True, "early_reason": data.early_reason}
    detail |= _account_for(db, principal, c, data.given_mg, witnesses, policy)
    c.session.administration_ended_at = when
    action = "end_administration"
    step(db, principal, c.session, c.patient, action, reason=reason, detail=detail, at=when)
    return c


def stop(
    db: Session,
    principal: Principal,
    session_id: int,
    data: StopIn,
    witnesses: Sequence[Witness],
    policy: ChairsidePolicy,
) -> Chart:
    """Stopped early, with the reason; what was given and what is wasted go to the ledger."""
    c = for_charting(db, principal, session_id, policy, lock=True)
    check_allowed(c.session, "stop")
    when = step_time(db, c.session, data.at)
    # The same structured reason as an early end; the free text says what happened
    # (and is the 'other' reason's words).
    problems = stop_reason_problems(data.early_reason, data.early_note or data.reason)
    if problems:
        raise StopReasonRequired("Say why the session stops early.", problems)
    assert data.early_reason is not None
    detail: dict[str, Any] = {"early_reason": data.early_reason}
    reason = f"{STOP_REASON_LABELS[data.early_reason]}: {data.reason.strip()}"
    if c.drug_given:
        detail["infused_min"] = infused_min(c, when)
    detail |= _account_for(db, principal, c, data.given_mg, witnesses, policy)
    if c.session.administration_started_at is not None:
        c.session.administration_ended_at = when
    else:
        complete_visit(db, principal, c.session)
    step(db, principal, c.session, c.patient, "stop", reason=reason, detail=detail, at=when)
    return c
