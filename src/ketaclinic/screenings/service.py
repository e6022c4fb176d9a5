"""Intake and eligibility screening use cases. Never commits.

The engine (``clinical.screening``) decides; this module stores its input and
output, lets a prescriber sign or override with a reason, answers "is this
patient cleared?" for treatment plans, and records every read and write in the
audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.screening import (
    Clearance,
    FactError,
    RuleSet,
    ScreeningResult,
    Signed,
    changed_facts,
    clearance,
    facts_to_json,
    load_rule_sets,
    screen,
)
from ketaclinic.clinical.screening.medications import classes_on_chart
from ketaclinic.clinics.service import today_at
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import age_on, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.screenings import errors
from ketaclinic.screenings import repository as repo
from ketaclinic.screenings.models import PatientIntake, Screening, ScreeningSignature

# Facts the system derives rather than asks: age from the birth date, on the day;
# the interacting classes on the chart's medication list.
DERIVED_FACTS = ("age_years", "chart_medication_classes")
REASON_MIN_LENGTH = 10


@dataclass(frozen=True)
class ScreeningPolicy:
    """The rule sets in force (packaged plus the clinic's own). How long a signed
    screening clears treatment is the clinic's (clinics.settings.for_clinic)."""

    rule_sets: Mapping[str, RuleSet] = field(default_factory=load_rule_sets)

    def rule_set(self, rule_set_id: str, field_name: str = "rule_set_id") -> RuleSet:
        found = self.rule_sets.get(rule_set_id)
        if found is None:
            known = ", ".join(sorted(self.rule_sets))
            raise errors.UnknownRuleSet(f"unknown rule set; known: {known}", field=field_name)
        return found


@dataclass(frozen=True)
class Status:
    """A patient's clearance with the screening and signature it rests on."""

    clearance: Clearance
    screening: Screening | None
    signature: ScreeningSignature | None
    # Facts that differ between the newest screening and today's intake.
    changed: list[str] = field(default_factory=list)


def parse_facts(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Intake answers validated into canonical JSON form; errors name ``facts.<fact>``."""
    problems = {
        f"facts.{name}": "worked out from the birth date; do not enter it"
        for name in raw
        if name in DERIVED_FACTS
    }
    try:
        clean = facts_to_json({k: v for k, v in raw.items() if k not in DERIVED_FACTS})
    except FactError as exc:
        problems.update({f"facts.{name}": why for name, why in exc.fields.items()})
        clean = {}
    if problems:
        raise errors.IntakeAnswersInvalid(fields=problems)
    return clean


def intake_facts(intake: PatientIntake | None) -> dict[str, Any]:
    return dict(json.loads(intake.facts)) if intake is not None else {}


def facts_now(
    patient: Patient, intake: PatientIntake | None, today: date, medications: list[str]
) -> dict[str, Any]:
    """What a screening run today would read: the intake plus the derived facts
    (age, and the interacting classes on the chart's active medication list)."""
    facts = intake_facts(intake)
    facts["age_years"] = age_on(patient.birth_date, today)
    facts["chart_medication_classes"] = sorted(classes_on_chart(medications))
    return facts_to_json(facts)


def chart_interactions(db: Session, principal: Principal, patient: Patient) -> dict[str, list[str]]:
    """Interacting class -> the chart's active medicines in it (e.g. {"lamotrigine":
    ["Lamotrigine 200 mg daily"]}): what a screening's chart rule names."""
    return classes_on_chart(repo.active_medications(db, list(principal.roles), patient.id))


def _facts_today(
    db: Session, clinics: list[int], patient: Patient, now: datetime
) -> dict[str, Any]:
    return facts_now(
        patient,
        repo.latest_intake(db, clinics, patient.id),
        today_at(db, patient.clinic_id, now),
        repo.active_medications(db, clinics, patient.id),
    )


def _read(db: Session, principal: Principal, patient: Patient, purpose: str) -> None:
    audit.on_patient(db, principal, "patient.read", patient, detail={"purpose": purpose})


# ---- intake -------------------------------------------------------------------


def intake(
    db: Session, principal: Principal, patient: Patient, *, audited: bool = True
) -> PatientIntake | None:
    """The current intake (newest version), or None when none was recorded."""
    if audited:
        _read(db, principal, patient, "intake")
    return repo.latest_intake(db, list(principal.roles), patient.id)


def intake_history(db: Session, principal: Principal, patient: Patient) -> list[PatientIntake]:
    return repo.intakes(db, list(principal.roles), patient.id)


def record_intake(
    db: Session,
    principal: Principal,
    patient: Patient,
    facts: Mapping[str, Any],
    notes: str = "",
    *,
    now: datetime | None = None,
) -> tuple[PatientIntake, list[str]]:
    """Store the answers as a new intake version; returns it and the facts that changed.

    Saving the same answers again stores nothing and returns the current version.
    """
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    clean = parse_facts(facts)
    notes = notes.strip()
    latest = repo.latest_intake(db, list(principal.roles), patient.id)
    changed = changed_facts(intake_facts(latest), clean)
    if latest is not None and not changed and latest.notes == notes:
        return latest, []
    row = PatientIntake(
        patient_id=patient.id,
        facts=json.dumps(clean, sort_keys=True),
        notes=notes,
        recorded_by_id=principal.user_id,
        recorded_at=now or utcnow(),
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.intake.record",
        patient,
        resource_type="patient_intake",
        resource_id=row.id,
        # Names only: the audit trail says what changed, the chart says to what.
        detail={"changed": changed, "notes_changed": latest is None or latest.notes != notes},
    )
    return row, changed


# ---- screenings ---------------------------------------------------------------


def result_of(row: Screening) -> dict[str, Any]:
    """The stored explanation: fired, undecided and missing, as run then."""
    return dict(json.loads(row.result))


def facts_of(row: Screening) -> dict[str, Any]:
    return dict(json.loads(row.facts))


def run(
    db: Session,
    principal: Principal,
    patient: Patient,
    rule_set_id: str,
    policy: ScreeningPolicy,
    *,
    now: datetime | None = None,
) -> Screening:
    """Screen the patient's current intake with one rule set and store the result."""
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    rule_set = policy.rule_set(rule_set_id)
    now = now or utcnow()
    clinics = list(principal.roles)
    current = repo.latest_intake(db, clinics, patient.id)
    facts = facts_now(
        patient,
        current,
        today_at(db, patient.clinic_id, now),
        repo.active_medications(db, clinics, patient.id),
    )
    result: ScreeningResult = screen(rule_set, facts)
    row = Screening(
        patient_id=patient.id,
        intake_id=current.id if current is not None else None,
        rule_set_id=rule_set.id,
        rule_set_version=rule_set.version,
        facts=json.dumps(facts, sort_keys=True),
        decision=result.decision,
        result=result.model_dump_json(include={"fired", "undecided", "missing"}),
        run_at=now,
        run_by_id=principal.user_id,
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.screening.run",
        patient,
        resource_type="screening",
        resource_id=row.id,
        detail={
            "rule_set": rule_set.id,
            "version": rule_set.version,
            "decision": result.decision,
        },
    )
    return row


def screenings(
    db: Session, principal: Principal, patient: Patient
) -> list[tuple[Screening, ScreeningSignature | None]]:
    """The patient's screenings, newest first, with signatures (audited read)."""
    _read(db, principal, patient, "screenings")
    return repo.screenings(db, list(principal.roles), patient.id)


def get(
    db: Session, principal: Principal, patient: Patient, screening_id: int
) -> tuple[Screening, ScreeningSignature | None]:
    row = repo.screening(db, list(principal.roles), patient.id, screening_id)
    if row is None:
        raise errors.ScreeningNotFound(f"No screening {screening_id} for this patient.")
    audit.on_patient(
        db,
        principal,
        "patient.read",
        patient,
        resource_type="screening",
        resource_id=row.id,
        detail={"purpose": "screening"},
    )
    return row, repo.signature(db, list(principal.roles), row.id)


def sign(
    db: Session,
    principal: Principal,
    patient: Patient,
    screening_id: int,
    *,
    decision: str,
    reason: str | None,
    now: datetime | None = None,
) -> ScreeningSignature:
    """A prescriber's decision. Deciding other than the engine (clearing a
    ``needs_review`` or ``not_eligible`` result, or refusing an ``eligible`` one)
    is an override and needs a written reason."""
    principal.require(Permission.SCREENING_SIGN, patient.clinic_id)
    if decision not in {"eligible", "not_eligible"}:
        raise errors.DecisionInvalid()
    clinics = list(principal.roles)
    row = repo.screening(db, clinics, patient.id, screening_id)
    if row is None:
        raise errors.ScreeningNotFound(f"No screening {screening_id} for this patient.")
    if repo.signature(db, clinics, row.id) is not None:
        raise errors.ScreeningAlreadySigned()
    newest = next(
        (
            s
            for s, _ in repo.screenings(db, clinics, patient.id)
            if s.rule_set_id == row.rule_set_id
        ),
        row,
    )
    if newest.id != row.id:
        raise errors.ScreeningSuperseded(
            f"A newer screening (#{newest.id}) replaces this one; sign that instead."
        )
    now = now or utcnow()
    current = _facts_today(db, clinics, patient, now)
    changed = changed_facts(facts_of(row), current)
    if changed:
        raise errors.IntakeChanged(
            f"The intake changed since this screening ran ({', '.join(changed)}); "
            "run the screening again, then sign.",
            {"screening": "re-screen before signing"},
        )
    override = decision != row.decision
    reason = (reason or "").strip() or None
    if override and (reason is None or len(reason) < REASON_MIN_LENGTH):
        raise errors.OverrideReasonRequired(
            f"deciding {decision.replace('_', ' ')} on a screening that says "
            f"{row.decision.replace('_', ' ')} needs a written reason "
            f"(at least {REASON_MIN_LENGTH} characters)",
        )
    signature = ScreeningSignature(
        screening_id=row.id,
        patient_id=patient.id,
        decision=decision,
        override=override,
        reason=reason,
        signed_by_id=principal.user_id,
        signed_at=now,
    )
    db.add(signature)
    try:
        db.flush()
    except IntegrityError:
        # Another prescriber signed between our check and our insert.
        raise errors.SignedMeanwhile() from None
    audit.on_patient(
        db,
        principal,
        "patient.screening.override" if override else "patient.screening.sign",
        patient,
        resource_type="screening",
        resource_id=row.id,
        detail={
            "engine_decision": row.decision,
            "decision": decision,
            "override": override,
            "signature_id": signature.id,
        },
    )
    return signature


# ---- clearance: the gate treatment plans use ------------------------------------


def status(
    db: Session,
    principal: Principal,
    patient: Patient,
    policy: ScreeningPolicy,
    *,
    rule_set_id: str | None = None,
    now: datetime | None = None,
) -> Status:
    """The newest screening (of ``rule_set_id``, or of any rule set) judged
    against today's facts and the validity period. Not audited by itself: the
    page or use case showing it records the read."""
    clinics = list(principal.roles)
    now = now or utcnow()
    rows = repo.screenings(db, clinics, patient.id)
    if rule_set_id is not None:
        rows = [(s, sig) for s, sig in rows if s.rule_set_id == rule_set_id]
    newest, signature = rows[0] if rows else (None, None)
    current = _facts_today(db, clinics, patient, now)
    signed = (
        Signed(
            decision="eligible" if signature.decision == "eligible" else "not_eligible",
            signed_at=signature.signed_at,
            override=signature.override,
        )
        if signature is not None
        else None
    )
    screened = facts_of(newest) if newest is not None else None
    found = clearance(
        screened_facts=screened,
        signed=signed,
        current_facts=current,
        now=now,
        valid_days=for_clinic(db, patient.clinic_id).screening_valid_days,
    )
    changed = changed_facts(screened, current) if screened is not None else []
    return Status(found, newest, signature, changed)


def has_current_screening(
    db: Session,
    principal: Principal,
    patient: Patient,
    policy: ScreeningPolicy,
    *,
    rule_set_id: str | None = None,
    now: datetime | None = None,
) -> bool:
    """A signed, eligible screening younger than the validity period, on today's facts."""
    return status(
        db, principal, patient, policy, rule_set_id=rule_set_id, now=now
    ).clearance.cleared


def require_clearance(
    db: Session,
    principal: Principal,
    patient: Patient,
    policy: ScreeningPolicy,
    *,
    rule_set_id: str | None = None,
    now: datetime | None = None,
) -> Status:
    """The status if cleared; otherwise Conflict saying what is needed."""
    found = status(db, principal, patient, policy, rule_set_id=rule_set_id, now=now)
    if not found.clearance.cleared:
        raise errors.NotCleared(found.clearance.message, {"screening": found.clearance.state})
    return found


def awaiting_signature(db: Session, principal: Principal) -> list[tuple[Screening, Patient]]:
    """Newest screenings nobody has signed, in the caller's clinics, oldest first;
    each clinic's trail records which screenings were listed."""
    clinics = principal.require_any(Permission.PATIENT_READ)
    found = repo.unsigned(db, clinics)
    for clinic_id in sorted({p.clinic_id for _, p in found}):
        audit.record(
            db,
            principal,
            "patient.screening.list",
            clinic_id=clinic_id,
            resource_type="screening",
            detail={"screening_ids": [s.id for s, p in found if p.clinic_id == clinic_id]},
        )
    return found
