"""The patient's course and booster suggestions over the pure core
(``clinical.course``, ``clinical.boosters``): read the treatments (with the protocol of
the plan each was given under) and the scores, compute, store each suggestion once per
episode, and let a prescriber accept or dismiss it. Every read and write is audited."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical import boosters, course
from ketaclinic.clinical.boosters import BoosterRules
from ketaclinic.clinical.course import Course, CourseSettings, Treatment, local_day
from ketaclinic.clinical.outcomes import Point
from ketaclinic.clinical.scales import UnknownInstrumentError, get_instrument
from ketaclinic.clinical.treatment.model import Protocol
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.clinics.settings import ClinicSettings, for_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.outcomes import errors
from ketaclinic.outcomes import repository as repo
from ketaclinic.outcomes.models import BoosterDecision, BoosterSuggestion
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.models import TreatmentPlan

MIN_REASON = 3
# The sweep evaluates this many patients per query (a first run over a large clinic
# goes batch by batch).
SWEEP_BATCH = 500
# Who the audit trail names for the job's suggestions.
EVALUATOR = "booster rules"


@dataclass(frozen=True)
class CoursePolicy:
    """The booster rules (loaded and checked at start-up) and the protocols served."""

    rules: BoosterRules
    protocols: Mapping[str, Protocol] = field(default_factory=dict)

    @property
    def maintenance_protocols(self) -> frozenset[str]:
        return frozenset(
            p.maintenance.protocol
            for p in self.protocols.values()
            if p.maintenance is not None and p.maintenance.protocol
        )


def course_settings(clinic: ClinicSettings) -> CourseSettings:
    return CourseSettings(
        induction_min_sessions=clinic.induction_min_sessions,
        induction_max_sessions=clinic.induction_max_sessions,
        induction_min_days=clinic.induction_min_days,
        induction_max_days=clinic.induction_max_days,
        outcome_window_from_day=clinic.outcome_window_from_day,
        outcome_window_to_day=clinic.outcome_window_to_day,
        response_fall_fraction=clinic.response_fall_fraction,
        pcl5_fall_points=clinic.pcl5_fall_points,
        relapse_consecutive=clinic.relapse_consecutive,
    )


def booster_limits(clinic: ClinicSettings) -> dict[str, Any]:
    return {
        "booster_within_fraction": clinic.booster_within_fraction,
        "booster_consecutive": clinic.booster_consecutive,
    }


@dataclass(frozen=True)
class PatientCourse:
    patient: Patient
    zone: str
    course: Course
    # (suggestion, its decision or None), newest first
    suggestions: list[tuple[BoosterSuggestion, BoosterDecision | None]]
    treatments: list[tuple[Any, str | None]]  # (given at, protocol id)
    scores: dict[str, list[Point]]  # every score, by instrument
    booster_protocol: str | None


def _courses(
    db: Session, clinic_ids: Sequence[int], found: Sequence[Patient], policy: CoursePolicy
) -> dict[int, tuple[Course, list[tuple[Any, str | None]], dict[str, list[Point]]]]:
    """Each patient's course, from two queries whatever the number of patients."""
    ids = [p.id for p in found]
    given: dict[int, list[tuple[Any, str | None]]] = {}
    for patient_id, at, protocol, _plan in repo.treatments(db, clinic_ids, ids):
        given.setdefault(patient_id, []).append((at, protocol))
    scores: dict[int, dict[str, list[Point]]] = {}
    for patient_id, instrument, at, total in repo.scores(db, clinic_ids, ids, course.INSTRUMENTS):
        scores.setdefault(patient_id, {}).setdefault(instrument, []).append((at, total))
    maintenance = policy.maintenance_protocols
    zones: dict[int, str] = {}
    out = {}
    now = utcnow()
    for patient in found:
        zone = zones.setdefault(patient.clinic_id, timezone_of(db, patient.clinic_id))
        settings = course_settings(for_clinic(db, patient.clinic_id))
        rows = given.get(patient.id, [])
        treatments = [Treatment(at, maintenance=protocol in maintenance) for at, protocol in rows]
        mine = scores.get(patient.id, {})
        out[patient.id] = (
            course.course(treatments, mine, zone, settings, as_of=now),
            rows,
            mine,
        )
    return out


def _suggest(
    db: Session, principal: Principal | None, patient: Patient, found: Course, policy: CoursePolicy
) -> int:
    """Store the course's suggestions not stored yet; how many were new. Without a
    principal it is the job's work, audited as the booster rules'."""
    clinic = for_clinic(db, patient.clinic_id)
    limits = booster_limits(clinic)
    new = 0
    for suggestion in boosters.evaluate(found, policy.rules, limits):
        evidence = suggestion.evidence() | {
            "within_fraction": float(clinic.booster_within_fraction),
            "consecutive": clinic.booster_consecutive,
        }
        created = repo.add_suggestion(
            db,
            {
                "patient_id": patient.id,
                "rule_id": suggestion.rule_id,
                "instrument_id": suggestion.instrument_id,
                "evidence_key": suggestion.key,
                "evidence": json.dumps(evidence, sort_keys=True),
                "created_at": utcnow(),
            },
        )
        if created is None:
            continue  # this evidence was stored before (decided or not): never raised twice
        new += 1
        audit.on_patient(
            db,
            principal,
            "patient.booster.suggest",
            patient,
            resource_type="booster_suggestion",
            resource_id=created,
            detail={"rule": suggestion.rule_id, "instrument": suggestion.instrument_id},
            actor=None if principal is not None else EVALUATOR,
        )
    return new


def evaluate(
    db: Session, clinic_ids: Sequence[int], found: Sequence[Patient], policy: CoursePolicy
) -> int:
    """Evaluate these patients' booster rules now: store each new suggestion (audited)
    and remember how far each patient was evaluated. How many suggestions were new."""
    if not found:
        return 0
    newest = repo.newest_ids(db, clinic_ids, [p.id for p in found], course.INSTRUMENTS)
    courses = _courses(db, clinic_ids, found, policy)
    new = 0
    for patient in found:
        new += _suggest(db, None, patient, courses[patient.id][0], policy)
        response_id, treatment_id = newest[patient.id]
        repo.mark_evaluated(
            db,
            {
                "patient_id": patient.id,
                "response_id": response_id,
                "treatment_id": treatment_id,
                "evaluated_at": utcnow(),
            },
        )
    return new


def evaluate_due(
    db: Session, clinic_ids: Sequence[int], policy: CoursePolicy, batch: int = SWEEP_BATCH
) -> tuple[int, int]:
    """The job: every patient with a response or treatment newer than their last
    evaluation, ``batch`` at a time until none is left. (patients, new suggestions)."""
    done: set[int] = set()
    new = 0
    while True:
        found = repo.to_evaluate(db, clinic_ids, course.INSTRUMENTS, batch)
        # Once per run each: a patient recorded again meanwhile waits for the next run.
        due = [p for p, _r, _t in found if p.id not in done]
        if not due:
            return len(done), new
        new += evaluate(db, clinic_ids, due, policy)
        done.update(p.id for p in due)
        db.flush()


def evaluate_all(db: Session, clinic_ids: Sequence[int], policy: CoursePolicy) -> tuple[int, int]:
    """Every treated and measured patient of these clinics, whatever was evaluated
    before (``ketaclinic outcomes evaluate``: after a clinic changes its booster
    thresholds). (patients, new suggestions)."""
    found = repo.treated(db, clinic_ids)
    new = 0
    for start in range(0, len(found), SWEEP_BATCH):
        new += evaluate(db, clinic_ids, found[start : start + SWEEP_BATCH], policy)
    return len(found), new


def booster_protocol(policy: CoursePolicy, protocol_ids: Iterable[str | None]) -> str | None:
    """The booster protocol of the first protocol (in the order given) that names one."""
    for protocol_id in protocol_ids:
        protocol = policy.protocols.get(protocol_id or "")
        if protocol is not None and protocol.booster is not None and protocol.booster.protocol:
            return protocol.booster.protocol
    return None


def patient_course(
    db: Session, principal: Principal, patient_id: int, policy: CoursePolicy
) -> PatientCourse:
    """One patient's course (audited) with the booster suggestions the job stored."""
    patient = patients.get_patient(db, principal, patient_id)
    clinic_ids = list(principal.roles)
    found, rows, scores = _courses(db, clinic_ids, [patient], policy)[patient.id]
    audit.on_patient(db, principal, "patient.course.read", patient, resource_type="course")
    latest = repo.latest_plan_protocol(db, clinic_ids, patient.id)
    return PatientCourse(
        patient=patient,
        zone=timezone_of(db, patient.clinic_id),
        course=found,
        suggestions=[(s, d) for s, d, _ in repo.suggestions(db, clinic_ids, patient_id=patient.id)],
        treatments=rows,
        scores=scores,
        booster_protocol=booster_protocol(policy, [p for _, p in rows] + [latest]),
    )


def pending(db: Session, principal: Principal) -> list[tuple[BoosterSuggestion, Patient]]:
    """Undecided suggestions in the clinics where the caller decides on boosters (the
    dashboard): read as the job stored them, nothing is evaluated here."""
    clinic_ids = principal.clinics_with(Permission.PLAN_SIGN)
    if not clinic_ids:
        return []
    found = [(s, p) for s, _, p in repo.suggestions(db, clinic_ids, undecided_only=True)]
    for clinic_id in sorted({p.clinic_id for _, p in found}):
        audit.record(
            db,
            principal,
            "patient.booster.list",
            clinic_id=clinic_id,
            resource_type="booster_suggestion",
            detail={"suggestion_ids": [s.id for s, p in found if p.clinic_id == clinic_id]},
        )
    return found


def _decide(
    db: Session,
    principal: Principal,
    suggestion_id: int,
    decision: str,
    reason: str | None,
) -> tuple[BoosterDecision, BoosterSuggestion, Patient]:
    """Store the decision (not yet audited: the caller knows what followed)."""
    row = repo.suggestion(db, list(principal.roles), suggestion_id, for_update=True)
    if row is None:
        raise errors.SuggestionNotFound()
    suggestion, patient = row
    if not principal.can(Permission.PLAN_SIGN, patient.clinic_id):
        raise errors.DecisionForbidden()
    if repo.decision(db, list(principal.roles), suggestion.id) is not None:
        raise errors.SuggestionDecided()
    made = BoosterDecision(
        suggestion_id=suggestion.id,
        patient_id=patient.id,
        decision=decision,
        reason=reason,
        decided_by_id=principal.user_id,
        decided_at=utcnow(),
    )
    db.add(made)
    db.flush()
    return made, suggestion, patient


@dataclass(frozen=True)
class Accepted:
    decision: BoosterDecision
    patient: Patient
    # The new version of the current plan with the booster sessions (a draft to sign),
    # or None when there is no plan to revise (a new plan on ``protocol_id`` follows).
    plan: TreatmentPlan | None
    protocol_id: str | None
    next_url: str


def accept(db: Session, principal: Principal, suggestion_id: int, policy: CoursePolicy) -> Accepted:
    """Accepted: the patient's current plan gets a new version adding the booster
    sessions of its protocol's booster rule (a draft, signed by a prescriber like any
    revision), then on to booking it. Without a current plan whose protocol has a
    booster rule, on to a new plan on the booster protocol. Audited with the version."""
    made, suggestion, patient = _decide(db, principal, suggestion_id, "accepted", None)
    view = plans.current(db, principal, patient)
    revised = None
    protocol_id = None
    if view is not None and plans.booster_rule(view, policy.protocols) is not None:
        revised = plans.add_boosters(
            db,
            principal,
            patient,
            view,
            policy.protocols,
            start=today_at(db, patient.clinic_id) + timedelta(days=1),
            note=f"Booster accepted: {describe(suggestion, timezone_of(db, patient.clinic_id))}",
        )
        next_url = booking_url(patient.id, revised.id)
    else:
        clinic_ids = list(principal.roles)
        rows = repo.treatments(db, clinic_ids, [patient.id])
        latest = repo.latest_plan_protocol(db, clinic_ids, patient.id)
        protocol_id = booster_protocol(policy, [p for _, _, p, _ in rows] + [latest])
        next_url = plan_url(patient.id, protocol_id)
    audit.on_patient(
        db,
        principal,
        "patient.booster.accept",
        patient,
        resource_type="booster_suggestion",
        resource_id=suggestion.id,
        detail={
            "plan_id": revised.id if revised else None,
            "plan_version": revised.version if revised else None,
            "protocol": protocol_id,
        },
    )
    return Accepted(made, patient, revised, protocol_id, next_url)


def dismiss(
    db: Session, principal: Principal, suggestion_id: int, reason: str
) -> tuple[BoosterDecision, Patient]:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise errors.DismissReasonRequired()
    made, suggestion, patient = _decide(db, principal, suggestion_id, "dismissed", text)
    audit.on_patient(
        db,
        principal,
        "patient.booster.dismiss",
        patient,
        resource_type="booster_suggestion",
        resource_id=suggestion.id,
        detail={"reason": text},
    )
    return made, patient


def evidence_of(suggestion: BoosterSuggestion) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(suggestion.evidence)
    return loaded


def instrument_name(instrument_id: str) -> str:
    try:
        return get_instrument(instrument_id).name
    except UnknownInstrumentError:
        return instrument_id.replace("_", " ")


def _on(at: str, zone: str) -> str:
    return local_day(datetime.fromisoformat(at), zone).strftime("%b %-d, %Y")


def describe(suggestion: BoosterSuggestion, zone: str) -> str:
    """The evidence in words: which scores, when, against which baseline."""
    e = evidence_of(suggestion)
    name = instrument_name(suggestion.instrument_id)
    scores = " and ".join(f"{s['total']} on {_on(s['at'], zone)}" for s in e["scores"])
    percent = round(float(e.get("within_fraction", 0.25)) * 100)
    base, response = e["baseline"], e["response"]
    return (
        f"{name} {scores}: back within {percent}% of the baseline of {base['total']} "
        f"({_on(base['at'], zone)}), after a response to {response['total']} at the end "
        f"of the induction ({_on(response['at'], zone)})."
    )


def booking_url(patient_id: int, plan_id: int) -> str:
    """Where an accepted booster continues: booking the revised plan (which says when
    it must be signed first)."""
    return f"/patients/{patient_id}/plans/{plan_id}/book"


def plan_url(patient_id: int, protocol_id: str | None) -> str:
    """Where an accepted booster continues without a plan to revise: a new plan, on
    the booster protocol."""
    query = f"?protocol_id={protocol_id}" if protocol_id else ""
    return f"/patients/{patient_id}/plans/new{query}"


def suggestion(
    db: Session, principal: Principal, suggestion_id: int
) -> tuple[BoosterSuggestion, Patient]:
    row = repo.suggestion(db, list(principal.roles), suggestion_id)
    if row is None:
        raise errors.SuggestionNotFound()
    return row
