"""Reading a session: the chairside policy and the chart (everything charted on a session
and what follows from it now)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.models import User
from ketaclinic.chairside import repository as repo
from ketaclinic.chairside.errors import SessionNotFound
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
from ketaclinic.clinical.chairside import (
    IN_CHAIR,
    STATE_LABELS,
    AlertRules,
    ChecklistItem,
    Finding,
    Phase,
    Reading,
    Vocabulary,
    actions_from,
    blocking_open,
    evaluate,
    items_for,
    next_reading_due,
    pregnancy_possible,
    thresholds_with,
)
from ketaclinic.clinical.controlled import to_mg
from ketaclinic.clinical.dosing import Dose
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinical.treatment.model import Thresholds
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.clinics.settings import ClinicSettings, for_clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import age_on, as_utc, recorded_now
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsEntry
from ketaclinic.patients.models import Patient
from ketaclinic.plans import service as plans
from ketaclinic.plans.models import DoseCheck

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
    # The clinical thresholds (Aldrete minimum, vital-sign overrides, ...) are the
    # clinic's: clinics.settings.for_clinic, on the chart as ``Chart.settings``.

    def protocol(self, protocol_id: str) -> Protocol:
        return self.plan.protocol(protocol_id)


# ---- reading a session ----------------------------------------------------------------


@dataclass
class AlertView:
    alert: SessionAlert
    actions: list[AlertAction]

    @property
    def open(self) -> bool:
        return not self.actions


@dataclass(frozen=True)
class DrawnFrom:
    """One container the released dose was drawn from: its lot and the mg drawn."""

    lot: str
    mg: Decimal

    @property
    def text(self) -> str:
        return f"lot {self.lot} ({self.mg.normalize():f} mg)"


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
    # The clinic's clinical thresholds (its own values over the environment's).
    settings: ClinicSettings
    # The containers the dose was drawn from (two when one did not hold it).
    drawn: tuple[DrawnFrom, ...] = ()

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
        # The routine interval of the phase the visit is in now (per phase in the protocol).
        every_min = self.protocol.monitoring.every_min.in_phase(self.phase)
        return next_reading_due(last, every_min, self.pending)

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


def clinics_of(principal: Principal) -> list[int]:
    return principal.require_any(Permission.PATIENT_READ)


def _found(
    db: Session, principal: Principal, session_id: int, *, lock: bool = False
) -> tuple[ChairsideSession, Patient]:
    found = repo.session(db, clinics_of(principal), session_id, lock=lock)
    if found is None:
        raise SessionNotFound(f"No session {session_id} in your clinics.")
    return found


def _names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.name for u in db.query(User).filter(User.id.in_(ids))}


# Every kind of row charted on a session, read in one query each for any number of
# sessions (the board reads a whole day's).
CHARTED: tuple[type[Any], ...] = (
    SessionEvent,
    SessionAlert,
    AlertAction,
    VitalReading,
    AdverseEvent,
    RescueMedication,
    AldreteScore,
    SessionNote,
    NoteSignature,
    NoteAddendum,
    RemsForm,
    RemsSubmission,
    SessionCheck,
)


def charts(
    db: Session,
    found: Sequence[tuple[ChairsideSession, Patient]],
    policy: ChairsidePolicy,
) -> list[Chart]:
    """The charts of sessions already read in the caller's clinics, in a fixed number
    of queries however many sessions there are. Not audited: the caller records the
    read (one chart, or the board)."""
    if not found:
        return []
    ids = [s.id for s, _ in found]
    clinics = sorted({s.clinic_id for s, _ in found})
    rows: dict[type[Any], dict[int, list[Any]]] = {}
    for model in CHARTED:
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in repo.children(db, clinics, model, ids):
            grouped[row.session_id].append(row)
        rows[model] = grouped
    checks = repo.dose_checks(db, clinics, [s.dose_check_id for s, _ in found if s.dose_check_id])
    draw_ids = [d for s, _ in found for d in (s.draw_entry_id, s.second_draw_entry_id) if d]
    draws = ledger.entries_by_id(db, clinics, draw_ids)
    lots = ledger.lot_numbers(db, clinics, sorted({e.container_id for e in draws.values()}))
    charted = [r for grouped in rows.values() for of_one in grouped.values() for r in of_one]
    people = _names(db, {r.by_id for r in charted if r.by_id})
    clinic_of = {c: db.get(Clinic, c) for c in clinics}
    today = {c: today_at(db, c) for c in clinics}
    settings_of = {c: for_clinic(db, c) for c in clinics}
    now = recorded_now()
    result = []
    for s, patient in found:
        clinic = clinic_of[s.clinic_id]
        assert clinic is not None
        mine = {model: rows[model].get(s.id, []) for model in CHARTED}
        mine_drawn = [draws[d] for d in (s.draw_entry_id, s.second_draw_entry_id) if d in draws]
        chart = _assemble(
            s,
            patient,
            clinic,
            mine,
            policy,
            today[s.clinic_id],
            people,
            now,
            checks.get(s.dose_check_id or 0),
            draws.get(s.draw_entry_id or 0),
            settings_of[s.clinic_id],
        )
        chart.drawn = tuple(
            DrawnFrom(lots.get(e.container_id, ""), to_mg(e.amount_ug)) for e in mine_drawn
        )
        result.append(chart)
    return result


def _assemble(
    s: ChairsideSession,
    patient: Patient,
    clinic: Clinic,
    rows: Mapping[type, list[Any]],
    policy: ChairsidePolicy,
    today: date,
    people: dict[int, str],
    now: datetime,
    dose_check: DoseCheck | None,
    draw: CsEntry | None,
    settings: ClinicSettings,
) -> Chart:
    protocol = policy.protocol(s.protocol_id)
    actions: dict[int, list[AlertAction]] = {}
    for action in rows[AlertAction]:
        actions.setdefault(action.alert_id, []).append(action)
    notes, forms, sent = rows[SessionNote], rows[RemsForm], rows[RemsSubmission]
    items = items_for(
        policy.checklist,
        rems=protocol.rems,
        pregnancy_possible=pregnancy_possible(
            patient.sex_at_birth,
            age_on(patient.birth_date, today),
            max_age=settings.pregnancy_test_max_age,
        ),
        weight_based=protocol.dose.unit != "mg",
    )
    return Chart(
        session=s,
        patient=patient,
        clinic=clinic,
        protocol=protocol,
        thresholds=thresholds_with(protocol.monitoring.thresholds, settings.vital_thresholds),
        events=rows[SessionEvent],
        checks={c.item: c for c in rows[SessionCheck]},  # the newest per item wins
        checklist=items,
        readings=sorted(rows[VitalReading], key=lambda r: (as_utc(r.taken_at), r.id)),
        alerts=[AlertView(a, actions.get(a.id, [])) for a in rows[SessionAlert]],
        adverse=rows[AdverseEvent],
        rescue=rows[RescueMedication],
        aldrete=rows[AldreteScore],
        note=notes[0] if notes else None,
        signatures=rows[NoteSignature],
        addenda=rows[NoteAddendum],
        rems_form=forms[-1] if forms else None,
        rems_sent=sent[-1] if sent else None,
        dose_check=dose_check,
        draw=draw,
        people=people,
        now=now,
        rules=policy.rules,
        settings=settings,
    )


def chart(
    db: Session,
    principal: Principal,
    session_id: int,
    policy: ChairsidePolicy,
    *,
    audited: bool = True,
    lock: bool = False,
) -> Chart:
    """One session's chart, read (and audited) as ``principal``; ``lock`` holds the
    session's row for a write."""
    s, patient = _found(db, principal, session_id, lock=lock)
    [result] = charts(db, [(s, patient)], policy)
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


def session_dose(db: Session, principal: Principal, c: Chart, policy: ChairsidePolicy) -> Dose:
    """Today's dose for this session from its plan version, on the chart's newest weight
    (``DoseError`` when it cannot be given, e.g. a stale weight)."""
    plan = plans.get(db, principal, c.patient, c.session.plan_id, audited=False).plan
    return plans.dose_for(
        db, principal, c.patient, plan, policy.plan, session_number=c.session.session_number
    )
