"""Chairside charting: one write path per step of a treatment session.

Every step goes through ``_step``: the pure lifecycle (clinical.chairside) says
whether the action is allowed from the session's state, the step is an event
row claiming the session's next ``seq``, and the state moves in the same
transaction. The dose release writes the dose check, its independent second
check, the ledger draw and any waste, and the step, together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.appointments import service as appointments
from ketaclinic.audit import service as audit
from ketaclinic.auth.models import Membership, User
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission, Role, roles_with
from ketaclinic.chairside import repository as repo
from ketaclinic.chairside.models import (
    AdverseEvent,
    AldreteScore,
    AlertAction,
    ChairsideSession,
    NoteAddendum,
    NoteSignature,
    RemsForm,
    RemsSubmission,
    RescueMedication,
    SessionAlert,
    SessionCheck,
    SessionEvent,
    SessionNote,
    VitalReading,
)
from ketaclinic.chairside.schemas import (
    AdverseIn,
    DischargeIn,
    GivenIn,
    ReadingIn,
    ReleaseIn,
    RescueIn,
    StopIn,
)
from ketaclinic.clinical.chairside import (
    ALERT_ACTIONS,
    IN_CHAIR,
    STATE_LABELS,
    Aldrete,
    AlertRules,
    ChecklistItem,
    DischargeFacts,
    Finding,
    Phase,
    Reading,
    TransitionRefused,
    Vocabulary,
    actions_from,
    blocking_open,
    dose_problem,
    evaluate,
    items_for,
    missing_for_discharge,
    missing_for_ready,
    next_reading_due,
    next_state,
    pregnancy_possible,
    reading_problems,
    start_problems,
    thresholds_with,
)
from ketaclinic.clinical.chairside import rems as rems_rules
from ketaclinic.clinical.chairside.concomitant import classes_of
from ketaclinic.clinical.dosing import DoseError
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinical.treatment.model import Thresholds
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ketaclinic.kit.time import age_on, as_utc, recorded_now, to_local
from ketaclinic.ledger import repository as ledger_repo
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsEntry
from ketaclinic.ledger.schemas import DrawIn
from ketaclinic.ledger.witnesses import Witness
from ketaclinic.patients.models import Patient
from ketaclinic.plans import repository as plans_repo
from ketaclinic.plans import service as plans
from ketaclinic.plans.models import DoseCheck, TreatmentPlan
from ketaclinic.screenings import service as screenings
from ketaclinic.treatments.models import TreatmentSession

MODALITY = {
    "iv": "iv_ketamine",
    "im": "im_ketamine",
    "sublingual": "sl_ketamine",
    "intranasal": "esketamine_nasal",
}
# States after which nothing more is charted on the session itself.
CLOSED = frozenset({"discharged", "note_signed", "no_show"})
PRE_DOSE = frozenset({"scheduled", "checked_in", "prechecked", "dose_released"})
ADMINISTRATION = frozenset({"administering", "paused"})


@dataclass(frozen=True)
class ChairsidePolicy:
    plan: plans.PlanPolicy
    ledger: ledger.LedgerPolicy
    rules: AlertRules
    checklist: tuple[ChecklistItem, ...]
    vocabulary: Vocabulary
    threshold_overrides: Mapping[str, int] = field(default_factory=dict)
    aldrete_min_score: int = 9
    pregnancy_test_max_age: int = 55

    def protocol(self, protocol_id: str) -> Protocol:
        return self.plan.protocol(protocol_id)

    def thresholds(self, protocol: Protocol) -> Thresholds:
        return thresholds_with(protocol.monitoring.thresholds, self.threshold_overrides)


# ---- reading a session ----------------------------------------------------------------


@dataclass
class AlertView:
    alert: SessionAlert
    actions: list[AlertAction]

    @property
    def open(self) -> bool:
        return not self.actions


@dataclass
class Chart:
    """Everything charted on one session, and what follows from it now."""

    session: ChairsideSession
    patient: Patient
    clinic: Clinic
    protocol: Protocol
    thresholds: Thresholds
    events: list[SessionEvent]
    checks: dict[str, SessionCheck]
    checklist: tuple[ChecklistItem, ...]
    readings: list[VitalReading]
    alerts: list[AlertView]
    adverse: list[AdverseEvent]
    rescue: list[RescueMedication]
    aldrete: list[AldreteScore]
    note: SessionNote | None
    signatures: list[NoteSignature]
    addenda: list[NoteAddendum]
    rems_form: RemsForm | None
    rems_sent: RemsSubmission | None
    dose_check: DoseCheck | None
    draw: CsEntry | None
    people: dict[int, str]
    now: datetime
    rules: AlertRules

    @property
    def state(self) -> str:
        return self.session.state

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.session.state]  # type: ignore[index]

    @property
    def phase(self) -> Phase:
        return phase_of(self.session.state)

    @property
    def drug_given(self) -> bool:
        return self.session.administration_started_at is not None

    @property
    def actions(self) -> tuple[str, ...]:
        return actions_from(self.session.state, drug_given=self.drug_given)  # type: ignore[arg-type]

    @property
    def open_alerts(self) -> list[AlertView]:
        return [a for a in self.alerts if a.open]

    @property
    def pure_readings(self) -> list[Reading]:
        return [pure_reading(r) for r in self.readings]

    @property
    def pending(self) -> list[Finding]:
        """Readings over a limit that wait for their confirming reading."""
        if not self.readings or self.session.state in CLOSED:
            return []
        found = evaluate(self.pure_readings, self.rules, self.thresholds, self.phase)
        return [f for f in found if f.status == "pending"]

    @property
    def in_chair(self) -> bool:
        """The patient is in the clinic's care (an early stop before any drug is not)."""
        if self.session.state == "stopped_early":
            return self.drug_given
        return self.session.state in IN_CHAIR

    @property
    def next_due(self) -> datetime | None:
        if not self.in_chair:
            return None
        last = self.readings[-1].taken_at if self.readings else None
        if last is None:
            return self.session.checked_in_at
        return next_reading_due(last, self.protocol.monitoring.every_min, self.pending)

    @property
    def blocking(self) -> list[ChecklistItem]:
        results = {k: c.result for k, c in self.checks.items()}
        return blocking_open(self.checklist, results)  # type: ignore[arg-type]

    @property
    def minutes_elapsed(self) -> int | None:
        since = self.session.administration_started_at or self.session.checked_in_at
        if since is None:
            return None
        until = self.session.discharged_at
        if until is None and not self.drug_given:
            # Stopped before any drug: the patient left then, not discharged.
            until = next((e.at for e in self.events if e.action == "stop"), None)
        until = until or self.now
        return int((as_utc(until) - as_utc(since)).total_seconds() // 60)

    @property
    def observed_min(self) -> int:
        ended = self.session.administration_ended_at
        if ended is None:
            return 0
        return int((as_utc(self.now) - as_utc(ended)).total_seconds() // 60)

    @property
    def last_reading(self) -> VitalReading | None:
        return self.readings[-1] if self.readings else None


def phase_of(state: str) -> Phase:
    if state in PRE_DOSE:
        return "pre_dose"
    if state in ADMINISTRATION:
        return "administration"
    return "observation"


def pure_reading(r: VitalReading) -> Reading:
    return Reading(
        at=as_utc(r.taken_at),
        systolic=r.systolic,
        diastolic=r.diastolic,
        heart_rate=r.heart_rate,
        spo2=r.spo2,
        respiratory_rate=r.respiratory_rate,
        sedation=r.sedation,
        cadss=r.cadss,
        on_oxygen=r.on_oxygen,
    )


def _clinics(principal: Principal) -> list[int]:
    return principal.require_any(Permission.PATIENT_READ)


def _found(
    db: Session, principal: Principal, session_id: int, *, lock: bool = False
) -> tuple[ChairsideSession, Patient]:
    found = repo.session(db, _clinics(principal), session_id, lock=lock)
    if found is None:
        raise NotFound(f"No session {session_id} in your clinics.")
    return found


def _names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.name for u in db.query(User).filter(User.id.in_(ids))}


def chart(
    db: Session,
    principal: Principal,
    session_id: int,
    policy: ChairsidePolicy,
    *,
    audited: bool = True,
    lock: bool = False,
) -> Chart:
    s, patient = _found(db, principal, session_id, lock=lock)
    clinics = [s.clinic_id]
    protocol = policy.protocol(s.protocol_id)

    def rows(model: type[repo.Child]) -> list[repo.Child]:
        return repo.children(db, clinics, model, [s.id])

    events, alerts, alert_actions = rows(SessionEvent), rows(SessionAlert), rows(AlertAction)
    readings = sorted(rows(VitalReading), key=lambda r: (as_utc(r.taken_at), r.id))
    adverse, rescue, aldrete = rows(AdverseEvent), rows(RescueMedication), rows(AldreteScore)
    notes, signatures, addenda = rows(SessionNote), rows(NoteSignature), rows(NoteAddendum)
    forms, sent = rows(RemsForm), rows(RemsSubmission)
    actions: dict[int, list[AlertAction]] = {}
    for action in alert_actions:
        actions.setdefault(action.alert_id, []).append(action)
    checks = {c.item: c for c in rows(SessionCheck)}  # the newest per item wins
    clinic = db.get(Clinic, s.clinic_id)
    assert clinic is not None
    today = today_at(db, s.clinic_id)
    items = items_for(
        policy.checklist,
        rems=protocol.rems,
        pregnancy_possible=pregnancy_possible(
            patient.sex_at_birth,
            age_on(patient.birth_date, today),
            max_age=policy.pregnancy_test_max_age,
        ),
        weight_based=protocol.dose.unit != "mg",
    )
    dose_check = repo.dose_check(db, clinics, s.dose_check_id) if s.dose_check_id else None
    draw = ledger_repo.entry(db, clinics, s.draw_entry_id) if s.draw_entry_id else None
    everything: list[Any] = [
        *events,
        *alerts,
        *alert_actions,
        *readings,
        *adverse,
        *rescue,
        *aldrete,
        *notes,
        *signatures,
        *addenda,
        *forms,
        *sent,
        *checks.values(),
    ]
    people = _names(db, {r.by_id for r in everything if r.by_id})
    result = Chart(
        session=s,
        patient=patient,
        clinic=clinic,
        protocol=protocol,
        thresholds=policy.thresholds(protocol),
        events=events,
        checks=checks,
        checklist=items,
        readings=readings,
        alerts=[AlertView(a, actions.get(a.id, [])) for a in alerts],
        adverse=adverse,
        rescue=rescue,
        aldrete=aldrete,
        note=notes[0] if notes else None,
        signatures=signatures,
        addenda=addenda,
        rems_form=forms[-1] if forms else None,
        rems_sent=sent[-1] if sent else None,
        dose_check=dose_check,
        draw=draw,
        people=people,
        now=recorded_now(),
        rules=policy.rules,
    )
    if audited:
        audit.on_patient(
            db,
            principal,
            "patient.read",
            patient,
            resource_type="chairside_session",
            resource_id=s.id,
            detail={"purpose": "chairside"},
        )
    return result


# ---- the one way a session moves ------------------------------------------------------


def _require_chart(principal: Principal, clinic_id: int) -> None:
    principal.require(Permission.SESSION_CHART, clinic_id)


def _step(
    db: Session,
    principal: Principal,
    s: ChairsideSession,
    patient: Patient,
    action: str,
    *,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> SessionEvent:
    try:
        to = next_state(s.state, action, drug_given=s.administration_started_at is not None)  # type: ignore[arg-type]
    except TransitionRefused as exc:
        raise Conflict(exc.message, {"action": exc.message}) from None
    now = recorded_now()
    event = SessionEvent(
        session_id=s.id,
        patient_id=s.patient_id,
        seq=s.seq + 1,
        action=action,
        from_state=s.state,
        to_state=to,
        reason=reason,
        detail=json.dumps(detail, sort_keys=True, default=str) if detail else "",
        by_id=principal.user_id,
        at=now,
    )
    s.seq += 1
    s.state = to
    db.add(event)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict("This session changed a moment ago; reload it and try again.") from None
    audit.on_patient(
        db,
        principal,
        f"patient.session.{action}",
        patient,
        resource_type="chairside_session",
        resource_id=s.id,
        detail={"from": event.from_state, "to": to, **(detail or {})},
    )
    return event


def check_allowed(s: ChairsideSession, action: str) -> None:
    """Refuse early (before credentials are checked or stock is touched)."""
    try:
        next_state(s.state, action, drug_given=s.administration_started_at is not None)  # type: ignore[arg-type]
    except TransitionRefused as exc:
        raise Conflict(exc.message, {"action": exc.message}) from None


def _current_plan(
    db: Session, principal: Principal, patient: Patient, plan_id: int
) -> TreatmentPlan:
    """The signed or active version of the appointment's plan (a titration is a new version)."""
    view = plans.get(db, principal, patient, plan_id, audited=False)
    for candidate in plans.versions(db, principal, view.plan.lineage_id):
        if candidate.status in {"signed", "active"}:
            return candidate.plan
    raise Conflict(f"The plan is {view.status}; a session needs a signed or active plan.")


def _complete_visit(db: Session, principal: Principal, s: ChairsideSession) -> None:
    """The visit is over: its chair is free for the next patient."""
    if s.appointment_id is not None:
        appointment, _patient = appointments.get(db, principal, s.appointment_id)
        if appointment.status == "booked":
            appointments.complete(db, principal, s.appointment_id)


def open_session(
    db: Session, principal: Principal, appointment_id: int, action: str, policy: ChairsidePolicy
) -> ChairsideSession:
    """Check a booked patient in (or mark them a no-show): the session starts here."""
    appointment, patient = appointments.get(db, principal, appointment_id)
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    existing = repo.of_appointment(db, [appointment.clinic_id], appointment.id)
    if existing is not None:
        raise Conflict(
            f"This visit already has a session ({STATE_LABELS[existing.state]}).",  # type: ignore[index]
            {"session_id": str(existing.id)},
        )
    if appointment.status != "booked" or appointment.plan_id is None:
        raise Conflict(
            f"The visit is {appointment.status}; only a booked plan visit is checked in."
        )
    zone = timezone_of(db, appointment.clinic_id)
    if action == "check_in" and to_local(appointment.starts_at, zone).date() != today_at(
        db, appointment.clinic_id
    ):
        raise ValidationFailed.on("appointment_id", "check in on the day of the visit")
    plan = _current_plan(db, principal, patient, appointment.plan_id)
    policy.protocol(plan.protocol_id)
    s = ChairsideSession(
        clinic_id=appointment.clinic_id,
        patient_id=patient.id,
        appointment_id=appointment.id,
        plan_id=plan.id,
        session_number=appointment.session_number,
        protocol_id=plan.protocol_id,
        state="scheduled",
        seq=0,
        created_by_id=principal.user_id,
        created_at=recorded_now(),
    )
    db.add(s)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict("Someone checked this visit in a moment ago; reload.") from None
    if action == "no_show":
        appointments.no_show(db, principal, appointment.id)
        _step(db, principal, s, patient, "no_show")
    else:
        s.checked_in_at = recorded_now()
        _step(db, principal, s, patient, "check_in")
    return s


# ---- the checklist --------------------------------------------------------------------


def auto_checks(
    db: Session, principal: Principal, c: Chart, policy: ChairsidePolicy
) -> dict[str, tuple[str, str]]:
    """The checklist items the system works out from the chart: (result, what it saw)."""
    found: dict[str, tuple[str, str]] = {}
    keys = {i.key for i in c.checklist if i.kind == "auto"}
    if "vitals_in_start_limits" in keys:
        last = c.pure_readings[-1] if c.readings else None
        problems = start_problems(last, c.thresholds)
        seen = _vitals_text(c.readings[-1]) if c.readings else "no reading yet"
        found["vitals_in_start_limits"] = (
            ("fail", "; ".join(problems)) if problems else ("pass", seen)
        )
    if "screening_current" in keys:
        status = screenings.status(
            db, principal, c.patient, policy.plan.screening, rule_set_id=c.protocol.rule_set
        )
        found["screening_current"] = (
            "pass" if status.clearance.cleared else "fail",
            status.clearance.message,
        )
    if "weight_current" in keys:
        plan = plans_repo.plan(db, [c.session.clinic_id], c.patient.id, c.session.plan_id)
        assert plan is not None
        try:
            dose = plans.dose_for(
                db, principal, c.patient, plan, policy.plan, session_number=c.session.session_number
            )
            weight = dose.dosing_weight
            found["weight_current"] = ("pass", f"dosing weight {weight.value} kg" if weight else "")
        except DoseError as exc:
            problem = exc.fields.get("weight_kg") or "; ".join(exc.fields.values())
            found["weight_current"] = ("fail", problem)
    if "questionnaires_today" in keys:
        zone = c.clinic.timezone
        start = datetime.combine(today_at(db, c.session.clinic_id), datetime.min.time())
        since = start.replace(tzinfo=to_local(recorded_now(), zone).tzinfo)
        done = repo.questionnaires_since(db, [c.session.clinic_id], c.patient.id, since)
        found["questionnaires_today"] = (
            ("pass", ", ".join(sorted({q.instrument_id for q in done})))
            if done
            else ("fail", "no questionnaire completed today")
        )
    return found


def _vitals_text(r: VitalReading) -> str:
    parts = []
    if r.systolic is not None and r.diastolic is not None:
        parts.append(f"BP {r.systolic}/{r.diastolic}")
    for label, value in (("HR", r.heart_rate), ("SpO2", r.spo2), ("RR", r.respiratory_rate)):
        if value is not None:
            parts.append(f"{label} {value}{'%' if label == 'SpO2' else ''}")
    return ", ".join(parts)


def record_checks(
    db: Session,
    principal: Principal,
    session_id: int,
    manual: Mapping[str, tuple[str, str]],
    policy: ChairsidePolicy,
) -> Chart:
    """Record the checklist (the nurse's answers and what the system found) and,
    when no blocking item is open, complete the pre-checks. Blocking items keep the
    session checked in; they are recorded all the same."""
    c = chart(db, principal, session_id, policy, audited=False, lock=True)
    _require_chart(principal, c.session.clinic_id)
    check_allowed(c.session, "complete_checks")
    known = {i.key: i for i in c.checklist}
    wrong = {k: "not an item of this session's checklist" for k in manual if k not in known}
    wrong |= {k: "recorded by the system" for k in manual if k in known and known[k].kind == "auto"}
    if wrong:
        raise ValidationFailed("Check the checklist.", wrong)
    answers = dict(manual) | auto_checks(db, principal, c, policy)
    now = recorded_now()
    for key, (result, value) in answers.items():
        row = SessionCheck(
            session_id=c.session.id,
            patient_id=c.patient.id,
            item=key,
            result=result,
            value=value[:500],
            by_id=principal.user_id,
            at=now,
        )
        db.add(row)
        c.checks[key] = row
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.session.checks",
        c.patient,
        resource_type="chairside_session",
        resource_id=c.session.id,
        detail={k: r for k, (r, _v) in answers.items()},
    )
    if not c.blocking:
        _step(db, principal, c.session, c.patient, "complete_checks")
    return c


# ---- dose release, administration, stop ---------------------------------------------------


def checker_principal(db: Session, witness: Witness, clinic_id: int, origin: Any) -> Principal:
    """The second clinician, who has just proved who they are, acting for themselves."""
    role = (
        db.query(Membership.role)
        .filter(Membership.user_id == witness.user_id, Membership.clinic_id == clinic_id)
        .scalar()
    )
    if role is None or Role(role) not in roles_with(Permission.PLAN_WRITE):
        raise ValidationFailed.on("checker_email", "the second check needs a nurse or prescriber")
    user = db.get(User, witness.user_id)
    assert user is not None
    return Principal(user.id, user.email, user.name, {clinic_id: Role(role)}, origin=origin)


class DoseMismatch(ValidationFailed):
    """The second check did not match: recorded, and the release refused. The
    handler commits before answering so the mismatch stays on record."""


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
    c = chart(db, principal, session_id, policy, audited=False, lock=True)
    _require_chart(principal, c.session.clinic_id)
    check_allowed(c.session, "release_dose")
    if c.blocking:
        raise Conflict(
            "Blocking checklist items are open: " + ", ".join(i.label for i in c.blocking)
        )
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
    if data.drawn_mg < check.dose_mg:
        raise ValidationFailed.on("drawn_mg", f"draw at least the dose, {check.dose_mg} mg")
    zone = c.clinic.timezone
    treatment = TreatmentSession(
        patient_id=c.patient.id,
        given_at=recorded_now(),
        modality=MODALITY[c.protocol.route],
        recorded_by_id=principal.user_id,
    )
    db.add(treatment)
    db.flush()
    draw = ledger.draw(
        db,
        principal,
        DrawIn(
            container_id=data.container_id,
            patient_id=c.patient.id,
            amount_mg=data.drawn_mg,
            session_id=treatment.id,
        ),
    )
    excess = data.drawn_mg - check.dose_mg
    if excess > 0:
        ledger.waste(db, principal, draw.id, excess, witnesses, policy.ledger)
    s = c.session
    s.dose_check_id, s.draw_entry_id, s.treatment_session_id = check.id, draw.id, treatment.id
    s.rate_ml_per_h = check.rate_ml_per_h
    _step(
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
            "drawn_mg": data.drawn_mg,
            "wasted_mg": excess,
            "container_id": data.container_id,
            "checked_by": checker.name,
            "witnesses": [w.name for w in witnesses],
            "zone": zone,
        },
    )
    return c


def open_mg(db: Session, principal: Principal, s: ChairsideSession) -> Decimal:
    if s.draw_entry_id is None:
        return Decimal(0)
    entry = ledger.get_draw(db, principal, s.draw_entry_id)
    state = ledger.draw_state(db, principal, entry)
    return state.open_mg


def _account_for(
    db: Session,
    principal: Principal,
    s: ChairsideSession,
    given: Decimal,
    witnesses: Sequence[Witness],
    policy: ChairsidePolicy,
) -> dict[str, Any]:
    """What was given is administered; what is left in the syringe is wasted."""
    if s.draw_entry_id is None:
        if given > 0:
            raise ValidationFailed.on("given_mg", "no dose was released for this session")
        return {}
    remaining = open_mg(db, principal, s)
    if given > remaining:
        raise ValidationFailed.on(
            "given_mg", f"more than the {remaining} mg drawn and not yet accounted for"
        )
    if given > 0:
        ledger.administer(db, principal, s.draw_entry_id, given)
    left = remaining - given
    if left > 0:
        if not witnesses:
            raise ValidationFailed.on(
                "witness_email", f"{left} mg is left to waste: a witness must confirm"
            )
        ledger.waste(db, principal, s.draw_entry_id, left, witnesses, policy.ledger)
    return {"given_mg": given, "wasted_mg": left}


def act(
    db: Session,
    principal: Principal,
    session_id: int,
    action: str,
    policy: ChairsidePolicy,
    *,
    reason: str = "",
    rate_ml_per_h: Decimal | None = None,
) -> Chart:
    """Start, pause, resume, change the rate, or observe after an early stop."""
    c = chart(db, principal, session_id, policy, audited=False, lock=True)
    _require_chart(principal, c.session.clinic_id)
    s = c.session
    detail: dict[str, Any] = {}
    if action == "change_rate":
        programmed = c.dose_check.rate_ml_per_h if c.dose_check else None
        if rate_ml_per_h is None:
            raise ValidationFailed.on("rate_ml_per_h", "give the new rate in mL/h")
        if programmed is None:
            raise ValidationFailed.on("rate_ml_per_h", "this session has no pump programme")
        if rate_ml_per_h > programmed:
            raise ValidationFailed.on(
                "rate_ml_per_h",
                f"above the released rate of {programmed} "
                "mL/h: a faster rate needs a new dose check",
            )
        if len(reason) < 3:
            raise ValidationFailed.on("reason", "say why the rate changes")
        detail = {"from_ml_per_h": s.rate_ml_per_h, "to_ml_per_h": rate_ml_per_h}
    check_allowed(s, action)
    if action == "start":
        s.administration_started_at = recorded_now()
    if action == "change_rate":
        s.rate_ml_per_h = rate_ml_per_h
    _step(db, principal, s, c.patient, action, reason=reason, detail=detail or None)
    return c


def end_administration(
    db: Session,
    principal: Principal,
    session_id: int,
    data: GivenIn,
    witnesses: Sequence[Witness],
    policy: ChairsidePolicy,
) -> Chart:
    c = chart(db, principal, session_id, policy, audited=False, lock=True)
    _require_chart(principal, c.session.clinic_id)
    check_allowed(c.session, "end_administration")
    detail = _account_for(db, principal, c.session, data.given_mg, witnesses, policy)
    c.session.administration_ended_at = recorded_now()
    _step(db, principal, c.session, c.patient, "end_administration", detail=detail)
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
    c = chart(db, principal, session_id, policy, audited=False, lock=True)
    _require_chart(principal, c.session.clinic_id)
    check_allowed(c.session, "stop")
    detail = _account_for(db, principal, c.session, data.given_mg, witnesses, policy)
    if c.session.administration_started_at is not None:
        c.session.administration_ended_at = recorded_now()
    else:
        _complete_visit(db, principal, c.session)
    _step(db, principal, c.session, c.patient, "stop", reason=data.reason, detail=detail)
    return c


# ---- vital signs and alerts ----------------------------------------------------------------


@dataclass(frozen=True)
class VitalsResult:
    accepted: list[VitalReading]
    duplicates: int
    alerts: list[SessionAlert]


VALUES = (
    "systolic",
    "diastolic",
    "heart_rate",
    "spo2",
    "respiratory_rate",
    "sedation",
    "cadss",
    "on_oxygen",
)


def record_vitals(
    db: Session,
    principal: Principal,
    session_id: int,
    readings: Sequence[ReadingIn],
    policy: ChairsidePolicy,
    *,
    source: str = "manual",
    device: str = "",
) -> VitalsResult:
    """A batch of readings; one already recorded under its id is skipped (a retry),
    and each new one is judged against the alert rules on the history up to it."""
    c = chart(db, principal, session_id, policy, audited=False, lock=True)
    _require_chart(principal, c.session.clinic_id)
    if c.session.state not in IN_CHAIR:
        raise Conflict(
            f"Vital signs are charted while the patient is in the chair; this session "
            f"is {c.state_label.lower()}."
        )
    now = recorded_now()
    earliest = as_utc(c.session.checked_in_at or now) - timedelta(hours=1)
    problems: dict[str, str] = {}
    for i, r in enumerate(readings):
        at = as_utc(r.taken_at)
        if at > now + timedelta(minutes=2):
            problems[f"readings.{i}.taken_at"] = "in the future"
        elif at < earliest:
            problems[f"readings.{i}.taken_at"] = "before the patient checked in"
        pure = Reading(at=at, **{k: getattr(r, k) for k in VALUES})
        problems |= {f"readings.{i}.{k}": v for k, v in reading_problems(pure).items()}
    if problems:
        raise ValidationFailed("Check the readings.", problems)
    existing = repo.readings_by_key(
        db, [c.session.clinic_id], c.session.id, [r.id for r in readings]
    )
    fresh: list[ReadingIn] = []
    duplicates = 0
    seen: dict[str, ReadingIn] = {}
    for i, r in enumerate(readings):
        before = existing.get(r.id)
        twin = seen.get(r.id)
        if before is not None or twin is not None:
            same = (
                before is not None
                and all(getattr(before, k) == getattr(r, k) for k in VALUES)
                and as_utc(before.taken_at) == as_utc(r.taken_at)
            ) or (twin == r)
            if not same:
                raise ValidationFailed.on(
                    f"readings.{i}.id", "already recorded with different values"
                )
            duplicates += 1
            continue
        seen[r.id] = r
        fresh.append(r)
    history = list(c.readings)
    open_rules = {a.alert.rule_id for a in c.open_alerts}
    accepted, raised = [], []
    for r in sorted(fresh, key=lambda x: as_utc(x.taken_at)):
        row = VitalReading(
            session_id=c.session.id,
            patient_id=c.patient.id,
            reading_key=r.id,
            taken_at=as_utc(r.taken_at),
            source=source,
            device=device[:80],
            by_id=principal.user_id,
            at=now,
            **{k: getattr(r, k) for k in VALUES},
        )
        db.add(row)
        db.flush()
        accepted.append(row)
        history.append(row)
        history.sort(key=lambda x: (as_utc(x.taken_at), x.id))
        upto = [pure_reading(h) for h in history if as_utc(h.taken_at) <= as_utc(row.taken_at)]
        if history[-1] is not row:
            continue  # a late reading judges nothing newer than itself
        for f in evaluate(upto, policy.rules, c.thresholds, c.phase):
            if f.status != "confirmed" or f.rule_id in open_rules:
                continue
            alert = SessionAlert(
                session_id=c.session.id,
                patient_id=c.patient.id,
                rule_id=f.rule_id,
                severity=f.severity,
                label=f.label,
                message=f.message,
                measure=f.measure,
                value=f.value,
                limit=f.limit,
                reading_id=row.id,
                by_id=principal.user_id,
                at=now,
            )
            db.add(alert)
            open_rules.add(f.rule_id)
            raised.append(alert)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.session.vitals",
        c.patient,
        resource_type="chairside_session",
        resource_id=c.session.id,
        detail={
            "accepted": len(accepted),
            "duplicates": duplicates,
            "alerts": [a.rule_id for a in raised],
            "source": source,
        },
    )
    return VitalsResult(accepted, duplicates, raised)


def acknowledge(
    db: Session,
    principal: Principal,
    session_id: int,
    alert_id: int,
    action: str,
    note: str,
    policy: ChairsidePolicy,
) -> AlertAction:
    c = chart(db, principal, session_id, policy, audited=False)
    _require_chart(principal, c.session.clinic_id)
    found = next((a for a in c.alerts if a.alert.id == alert_id), None)
    if found is None:
        raise NotFound(f"No alert {alert_id} on this session.")
    if action not in ALERT_ACTIONS:
        raise ValidationFailed.on("action", "choose one of: " + ", ".join(ALERT_ACTIONS))
    if action in {"rescue_medication", "notify_prescriber", "stop"} and len(note) < 3:
        raise ValidationFailed.on("note", "say what was given, who was told, or why it stopped")
    row = AlertAction(
        session_id=c.session.id,
        patient_id=c.patient.id,
        alert_id=alert_id,
        action=action,
        note=note,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return _append(
        db,
        principal,
        c,
        row,
        "patient.session.alert_acknowledged",
        "session_alert",
        resource_id=alert_id,
        detail={"action": action},
    )


def _append(
    db: Session,
    principal: Principal,
    c: Chart,
    row: repo.Child,
    action: str,
    resource_type: str,
    *,
    resource_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> repo.Child:
    """Write one charted row and its audit record in the caller's transaction."""
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        action,
        c.patient,
        resource_type=resource_type,
        resource_id=row.id if resource_id is None else resource_id,
        detail=detail,
    )
    return row


# ---- side effects and rescue medications ------------------------------------------------


def _at_or_now(value: datetime | None, field_name: str) -> datetime:
    now = recorded_now()
    if value is None:
        return now
    at = as_utc(value)
    if at > now + timedelta(minutes=2):
        raise ValidationFailed.on(field_name, "in the future")
    if at < now - timedelta(hours=24):
        raise ValidationFailed.on(field_name, "more than a day ago")
    return at


def record_adverse(
    db: Session, principal: Principal, session_id: int, data: AdverseIn, policy: ChairsidePolicy
) -> AdverseEvent:
    c = chart(db, principal, session_id, policy, audited=False)
    _require_chart(principal, c.session.clinic_id)
    if c.session.state in {"scheduled", "no_show", "note_signed"}:
        raise Conflict(
            "Side effects are charted during the session; after the note is signed, "
            "add an addendum."
        )
    try:
        policy.vocabulary.effect(data.effect)
    except (KeyError, LookupError, ValueError):
        raise ValidationFailed.on("effect", "choose a side effect from the list") from None
    if data.grade >= 4 and not data.serious:
        raise ValidationFailed.on("serious", "a grade 4 or 5 event is a serious adverse event")
    row = AdverseEvent(
        session_id=c.session.id,
        patient_id=c.patient.id,
        effect=data.effect,
        grade=data.grade,
        serious=data.serious,
        onset_at=_at_or_now(data.onset_at, "onset_at"),
        note=data.note,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return _append(
        db,
        principal,
        c,
        row,
        "patient.session.adverse_event",
        "session_adverse_event",
        detail={"effect": data.effect, "grade": data.grade, "serious": data.serious},
    )


def record_rescue(
    db: Session, principal: Principal, session_id: int, data: RescueIn, policy: ChairsidePolicy
) -> RescueMedication:
    c = chart(db, principal, session_id, policy, audited=False)
    _require_chart(principal, c.session.clinic_id)
    if c.session.state in {"scheduled", "no_show", "note_signed"}:
        raise Conflict("Rescue medications are charted during the session.")
    try:
        med = policy.vocabulary.medication(data.drug)
    except (KeyError, LookupError, ValueError):
        raise ValidationFailed.on("drug", "choose a rescue medication from the list") from None
    problem = dose_problem(med, data.dose, data.route)
    if problem:
        field_name = "route" if "route" in problem else "dose"
        raise ValidationFailed.on(field_name, problem)
    row = RescueMedication(
        session_id=c.session.id,
        patient_id=c.patient.id,
        drug=data.drug,
        dose=data.dose,
        unit=med.unit,
        route=data.route,
        given_at=_at_or_now(data.given_at, "given_at"),
        reason=data.reason,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return _append(
        db,
        principal,
        c,
        row,
        "patient.session.rescue_medication",
        "rescue_medication",
        detail={"drug": data.drug, "dose": str(data.dose), "route": data.route},
    )


# ---- discharge ------------------------------------------------------------------------------


class DischargeRefused(ValidationFailed):
    """The assessment is recorded; the discharge is refused with what is missing.
    The handler commits before answering, so the score stays on the chart."""


def discharge(
    db: Session, principal: Principal, session_id: int, data: DischargeIn, policy: ChairsidePolicy
) -> Chart:
    c = chart(db, principal, session_id, policy, audited=False, lock=True)
    _require_chart(principal, c.session.clinic_id)
    s = c.session
    if s.state not in {"observing", "ready_for_discharge"}:
        check_allowed(s, "mark_ready")
    items = {
        k: getattr(data, k)
        for k in ("activity", "respiration", "circulation", "consciousness", "oxygen_saturation")
    }
    try:
        score = Aldrete(**items)
    except ValueError as exc:
        raise ValidationFailed.on("aldrete", str(exc)) from None
    db.add(
        AldreteScore(
            session_id=s.id,
            patient_id=c.patient.id,
            total=score.total,
            by_id=principal.user_id,
            at=recorded_now(),
            **items,
        )
    )
    db.flush()
    facts = DischargeFacts(
        aldrete=score,
        observed_min=c.observed_min,
        minimum_observation_min=c.protocol.phases.observation_min,
        escort_present=data.escort_present,
        instructions_given=data.instructions_given,
        min_score=policy.aldrete_min_score,
    )
    detail = {"aldrete": score.total, "observed_min": c.observed_min}
    if s.state == "observing":
        missing = missing_for_ready(facts)
        if missing:
            audit.on_patient(
                db,
                principal,
                "patient.session.discharge_refused",
                c.patient,
                resource_type="chairside_session",
                resource_id=s.id,
                detail={**detail, "missing": missing},
            )
            raise DischargeRefused(
                "Not ready for discharge: " + "; ".join(missing), {"discharge": "; ".join(missing)}
            )
        _step(db, principal, s, c.patient, "mark_ready", detail=detail)
    missing = missing_for_discharge(facts)
    if missing:
        audit.on_patient(
            db,
            principal,
            "patient.session.discharge_refused",
            c.patient,
            resource_type="chairside_session",
            resource_id=s.id,
            detail={**detail, "missing": missing},
        )
        raise DischargeRefused(
            "Not discharged: " + "; ".join(missing), {"discharge": "; ".join(missing)}
        )
    s.discharged_at = recorded_now()
    _complete_visit(db, principal, s)
    _step(
        db,
        principal,
        s,
        c.patient,
        "discharge",
        detail={**detail, "escort_present": True, "instructions_given": True},
    )
    return c


# ---- the note -------------------------------------------------------------------------------


def compose_note(c: Chart) -> dict[str, Any]:
    """The note, from the session's own records: timeline, dose, vitals, events."""
    zone = c.clinic.timezone

    def hm(at: datetime | None) -> str:
        return to_local(at, zone).strftime("%H:%M") if at else ""

    who = c.people
    dose = c.dose_check
    return {
        "patient": f"{c.patient.given_name} {c.patient.family_name}",
        "mrn": c.patient.mrn,
        "date": to_local(c.session.checked_in_at or c.now, zone).date().isoformat(),
        "protocol": c.protocol.name,
        "session_number": c.session.session_number,
        "outcome": c.state_label,
        "timeline": [
            {
                "at": hm(e.at),
                "step": e.action.replace("_", " "),
                "to": e.to_state,
                "by": who.get(e.by_id or 0, ""),
                "reason": e.reason,
            }
            for e in c.events
        ],
        "checks": [{"item": k, "result": v.result, "value": v.value} for k, v in c.checks.items()],
        "dose": None
        if dose is None
        else {
            "dose_mg": str(dose.dose_mg),
            "volume_ml": str(dose.volume_ml or ""),
            "rate_ml_per_h": str(dose.rate_ml_per_h or ""),
            "duration_min": dose.duration_min,
            "devices": dose.devices,
            "weight_kg": str(dose.weight_kg or ""),
        },
        "vitals": [
            {
                "at": hm(r.taken_at),
                "bp": f"{r.systolic}/{r.diastolic}" if r.systolic else "",
                "hr": r.heart_rate,
                "spo2": r.spo2,
                "rr": r.respiratory_rate,
                "sedation": r.sedation,
                "cadss": r.cadss,
                "source": r.source,
            }
            for r in c.readings
        ],
        "alerts": [
            {
                "at": hm(a.alert.at),
                "label": a.alert.label,
                "value": a.alert.value,
                "actions": [
                    f"{x.action.replace('_', ' ')} ({who.get(x.by_id or 0, '')}): {x.note}"
                    for x in a.actions
                ],
            }
            for a in c.alerts
        ],
        "adverse_events": [
            {
                "at": hm(x.onset_at),
                "effect": x.effect,
                "grade": x.grade,
                "serious": x.serious,
                "note": x.note,
            }
            for x in c.adverse
        ],
        "rescue_medications": [
            {
                "at": hm(x.given_at),
                "drug": x.drug,
                "dose": f"{x.dose} {x.unit}",
                "route": x.route,
                "by": who.get(x.by_id or 0, ""),
            }
            for x in c.rescue
        ],
        "aldrete": [{"at": hm(a.at), "total": a.total} for a in c.aldrete],
        "discharged_at": hm(c.session.discharged_at),
        "instructions": "No driving or operating machinery until the next day after sleep; "
        "an escort takes the patient home.",
    }


def _signer_role(db: Session, principal: Principal, clinic_id: int) -> str:
    role = principal.roles.get(clinic_id)
    if role == Role.NURSE:
        return "nurse"
    if role == Role.PRESCRIBER:
        return "prescriber"
    raise Forbidden("The note is signed by the nurse and the prescriber.")


def sign_note(db: Session, principal: Principal, session_id: int, policy: ChairsidePolicy) -> Chart:
    """The first signature freezes the note; the second (the other role) completes it."""
    c = chart(db, principal, session_id, policy, audited=False, lock=True)
    _require_chart(principal, c.session.clinic_id)
    role = _signer_role(db, principal, c.session.clinic_id)
    if c.note is None:
        check_allowed(c.session, "sign_note")
        if c.protocol.rems:
            missing = rems_missing(c, db)
            if missing:
                raise ValidationFailed(
                    "Complete the REMS monitoring form before signing.",
                    {f"rems.{k}": v for k, v in missing.items()},
                )
        c.note = SessionNote(
            session_id=c.session.id,
            patient_id=c.patient.id,
            body=json.dumps(compose_note(c), default=str),
            by_id=principal.user_id,
            at=recorded_now(),
        )
        db.add(c.note)
        db.flush()
    if any(sig.role == role for sig in c.signatures):
        raise Conflict(f"The {role} has already signed this note.")
    if any(sig.by_id == principal.user_id for sig in c.signatures):
        raise Conflict("You have already signed; the other signature is the other clinician's.")
    sig = NoteSignature(
        session_id=c.session.id,
        patient_id=c.patient.id,
        note_id=c.note.id,
        role=role,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(sig)
    db.flush()
    c.signatures.append(sig)
    audit.on_patient(
        db,
        principal,
        "patient.session.note_signed",
        c.patient,
        resource_type="session_note",
        resource_id=c.note.id,
        detail={"role": role},
    )
    if {x.role for x in c.signatures} == {"nurse", "prescriber"}:
        _step(db, principal, c.session, c.patient, "sign_note")
    return c


def add_addendum(
    db: Session, principal: Principal, session_id: int, text: str, policy: ChairsidePolicy
) -> NoteAddendum:
    c = chart(db, principal, session_id, policy, audited=False)
    _require_chart(principal, c.session.clinic_id)
    if c.note is None:
        raise Conflict("There is no signed note yet; chart on the session itself.")
    row = NoteAddendum(
        session_id=c.session.id,
        patient_id=c.patient.id,
        note_id=c.note.id,
        text=text,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return _append(
        db, principal, c, row, "patient.session.addendum", "session_note", resource_id=c.note.id
    )


# ---- the REMS monitoring form ----------------------------------------------------------------


def _treatment_date(c: Chart) -> date:
    at = c.session.administration_started_at or c.session.checked_in_at or c.now
    return to_local(at, c.clinic.timezone).date()


def rems_generated(db: Session, c: Chart) -> dict[str, Any]:
    """The form's fields as far as the session's own records answer them."""
    zone = c.clinic.timezone
    meds = repo.active_medications(db, [c.session.clinic_id], c.patient.id)
    classes = classes_of(m.name for m in meds)
    readings = c.pure_readings
    started = c.session.administration_started_at
    ended = c.session.discharged_at
    before = [
        r
        for r, row in zip(readings, c.readings, strict=True)
        if started is None or as_utc(row.taken_at) <= as_utc(started)
    ]
    with_bp = [r for r in readings if r.systolic is not None and r.diastolic is not None]
    ready = next((e.at for e in c.events if e.action == "mark_ready"), None)
    dose = c.dose_check
    lot = ""
    if c.draw is not None:
        from ketaclinic.ledger.models import CsContainer, CsLot

        container = db.get(CsContainer, c.draw.container_id)
        lot_row = db.get(CsLot, container.lot_id) if container else None
        lot = lot_row.lot_number if lot_row else ""
    mg = int(dose.dose_mg) if dose is not None else None
    nurse = next((c.people.get(e.by_id or 0) for e in c.events if e.action == "start"), "")
    found: dict[str, Any] = {
        "patient_name": f"{c.patient.given_name} {c.patient.family_name}",
        "date_of_birth": c.patient.birth_date.isoformat(),
        "sex": c.patient.sex_at_birth,
        **{name: bool(found) for name, found in classes.items()},
        "monitoring_professional": nurse or "",
        "setting": c.clinic.name,
        "treatment_date": _treatment_date(c).isoformat(),
        "dose": {56: "56", 84: "84"}.get(mg or 0, "other") if mg else "",
        "lot_number": lot,
        "pulse_oximetry_checked": any(r.spo2 is not None for r in readings),
        "serious_adverse_events": any(a.serious for a in c.adverse),
        "sedation": any((r.sedation or 0) < 0 for r in readings),
        "dissociation": any((r.cadss or 0) > 0 for r in readings)
        or any(a.effect == "dissociation" for a in c.adverse),
        "respiratory_depression": any(a.alert.rule_id in {"spo2_low", "rr_low"} for a in c.alerts),
        "vitals_acceptable_pre_dose": c.checks.get("vitals_in_start_limits") is not None
        and c.checks["vitals_in_start_limits"].result == "pass",
    }
    if mg and found["dose"] == "other":
        found["dose_other_mg"] = mg
    if started and ended:
        found["minutes_monitored"] = int((as_utc(ended) - as_utc(started)).total_seconds() // 60)
    if ready:
        found["ready_to_leave_at"] = to_local(ready, zone).strftime("%H:%M")
    if before and before[-1].systolic:
        found["bp_pre_dose"] = f"{before[-1].systolic}/{before[-1].diastolic}"
    if started:
        near = rems_rules.bp_near(readings, as_utc(started) + timedelta(minutes=40))
        if near:
            found["bp_40_min"] = near
    if ended and with_bp:
        last = with_bp[-1]
        found["bp_pre_completion"] = f"{last.systolic}/{last.diastolic}"
        found["vitals_acceptable_before_completion"] = not any(a.open for a in c.alerts)
    return found


def rems_fields(db: Session, c: Chart) -> dict[str, Any]:
    """The saved form over what the session says (staff corrections win)."""
    saved = json.loads(c.rems_form.fields) if c.rems_form else {}
    return rems_generated(db, c) | saved


def rems_typed(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Form values as the pure rules want them (dates, times, numbers, yes/no) from
    what JSON and HTML forms carry; a value that does not parse stays as it is, and
    the rules name it."""
    kinds = {f.key: f.kind for f in rems_rules.REMS_FIELDS}
    typed: dict[str, Any] = {}
    for key, value in fields.items():
        kind = kinds.get(key)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            try:
                if kind == "date":
                    value = date.fromisoformat(text)
                elif kind == "time":
                    value = time.fromisoformat(text)
                elif kind == "int":
                    value = int(text)
                elif kind == "bool" and text.lower() in YES_NO:
                    value = YES_NO[text.lower()]
            except ValueError:
                pass
        typed[key] = value
    return typed


YES_NO = {"yes": True, "true": True, "on": True, "no": False, "false": False}


def rems_missing(c: Chart, db: Session) -> dict[str, str]:
    return rems_rules.missing(rems_typed(rems_fields(db, c)))


def save_rems(
    db: Session,
    principal: Principal,
    session_id: int,
    fields: Mapping[str, Any],
    policy: ChairsidePolicy,
) -> RemsForm:
    c = chart(db, principal, session_id, policy, audited=False)
    _require_chart(principal, c.session.clinic_id)
    if not c.protocol.rems:
        raise Conflict("This session is not under the Spravato REMS.")
    known = {f.key: f for f in rems_rules.REMS_FIELDS}
    unknown = {k: "not a field of the REMS form" for k in fields if k not in known}
    if unknown:
        raise ValidationFailed("Check the REMS form.", unknown)
    if c.rems_sent is not None:
        raise Conflict("The form was sent; it cannot change now.")
    merged = rems_typed(rems_fields(db, c) | dict(fields))
    wrong = {
        k: v
        for k, v in rems_rules.missing(merged).items()
        if k in fields and fields[k] not in (None, "")
    }
    if wrong:
        raise ValidationFailed("Check the REMS form.", wrong)
    saved = (json.loads(c.rems_form.fields) if c.rems_form else {}) | dict(fields)
    row = RemsForm(
        session_id=c.session.id,
        patient_id=c.patient.id,
        fields=json.dumps(saved, sort_keys=True, default=str),
        due_on=rems_rules.due_on(_treatment_date(c)),
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return _append(db, principal, c, row, "patient.session.rems_saved", "rems_form")


def mark_rems_sent(
    db: Session,
    principal: Principal,
    session_id: int,
    sent_on: date,
    reference: str,
    policy: ChairsidePolicy,
) -> RemsSubmission:
    c = chart(db, principal, session_id, policy, audited=False)
    _require_chart(principal, c.session.clinic_id)
    if not c.protocol.rems:
        raise Conflict("This session is not under the Spravato REMS.")
    if c.rems_sent is not None:
        raise Conflict("This form is already marked sent.")
    missing = rems_missing(c, db)
    if missing:
        raise ValidationFailed(
            "Complete the REMS form first.", {f"rems.{k}": v for k, v in missing.items()}
        )
    if sent_on > today_at(db, c.session.clinic_id):
        raise ValidationFailed.on("sent_on", "in the future")
    if sent_on < _treatment_date(c):
        raise ValidationFailed.on("sent_on", "before the treatment")
    form = c.rems_form
    if form is None:
        form = save_rems(db, principal, session_id, {}, policy)
    row = RemsSubmission(
        session_id=c.session.id,
        patient_id=c.patient.id,
        form_id=form.id,
        sent_on=sent_on,
        reference=reference,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return _append(
        db, principal, c, row, "patient.session.rems_sent", "rems_form", resource_id=form.id
    )


@dataclass(frozen=True)
class RemsDue:
    session: ChairsideSession
    patient: Patient
    treated_on: date
    due_on: date
    overdue: bool


def rems_due(db: Session, principal: Principal, policy: ChairsidePolicy) -> list[RemsDue]:
    """REMS sessions given and not yet reported, soonest due first."""
    clinics = _clinics(principal)
    rems_ids = [p.id for p in policy.plan.protocols.values() if p.rems]
    rows = repo.rems_sessions(
        db,
        clinics,
        rems_ids,
        ["observing", "ready_for_discharge", "discharged", "note_signed", "stopped_early"],
    )
    sent = {
        x.session_id for x in repo.children(db, clinics, RemsSubmission, [s.id for s, _ in rows])
    }
    found = []
    for s, patient in rows:
        if s.id in sent or s.administration_started_at is None:
            continue
        treated = to_local(s.administration_started_at, timezone_of(db, s.clinic_id)).date()
        due = rems_rules.due_on(treated)
        found.append(RemsDue(s, patient, treated, due, due < today_at(db, s.clinic_id)))
    audit.record(
        db,
        principal,
        "rems.due_viewed",
        clinic_id=clinics[0],
        resource_type="rems_forms",
        detail={"unsent": len(found)},
    )
    return sorted(found, key=lambda d: (d.due_on, d.session.id))
