"""Vital signs and their alerts, side effects and rescue medications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.chairside import repository as repo
from ketaclinic.chairside.errors import (
    AlertActionNoteRequired,
    ChartedTimeInFuture,
    ChartedTimeTooOld,
    ReadingIdReused,
    ReadingsInvalid,
    RepeatReadingUnconfirmed,
    RescueDoseInvalid,
    RescueMedicationClosed,
    SeriousEventRequired,
    SessionAlertNotFound,
    SideEffectsClosed,
    UnknownAlertAction,
    UnknownRescueMedication,
    UnknownSideEffect,
    VitalsOutsideChair,
)
from ketaclinic.chairside.models import (
    AdverseEvent,
    AlertAction,
    RescueMedication,
    SessionAlert,
    VitalReading,
)
from ketaclinic.chairside.schemas import AdverseIn, ReadingIn, RescueIn
from ketaclinic.chairside.service.chart import ChairsidePolicy, pure_reading
from ketaclinic.chairside.service.steps import append_row, for_charting
from ketaclinic.clinical.chairside import (
    ALERT_ACTIONS,
    IN_CHAIR,
    Reading,
    dose_problem,
    evaluate,
    reading_problems,
    repeat_of,
)
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import as_utc, recorded_now


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
    confirm_repeat: bool = False,
) -> VitalsResult:
    """A batch of readings; one already recorded under its id is skipped (a retry),
    and each new one is judged against the alert rules on the history up to it."""
    c = for_charting(db, principal, session_id, policy, lock=True)
    if c.session.state not in IN_CHAIR:
        raise VitalsOutsideChair(
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
        raise ReadingsInvalid("Check the readings.", problems)
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
                raise ReadingIdReused.on(
                    f"readings.{i}.id", "already recorded with different values"
                )
            duplicates += 1
            continue
        seen[r.id] = r
        fresh.append(r)
    if source == "manual" and not confirm_repeat:
        _refuse_repeats(c.readings, fresh, readings, c.settings.repeat_reading_window_min)
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


def _refuse_repeats(
    history: Sequence[VitalReading],
    fresh: Sequence[ReadingIn],
    posted: Sequence[ReadingIn],
    window_min: int,
) -> None:
    """A manual reading identical to one a few minutes before is the last one sent
    again, not a new look at the patient: refused unless confirmed."""
    if window_min <= 0:
        return
    seen = [pure_reading(h) for h in history]
    for r in fresh:
        pure = Reading(at=as_utc(r.taken_at), **{k: getattr(r, k) for k in VALUES})
        twin = repeat_of(pure, seen, window_min)
        if twin is not None:
            i = next(n for n, p in enumerate(posted) if p is r)
            minutes = int(abs((pure.at - twin.at).total_seconds()) // 60)
            raise RepeatReadingUnconfirmed.on(
                f"readings.{i}.confirm_repeat",
                f"the same values as the reading {minutes} min before: take the vital "
                "signs again, or confirm this is a new reading",
            )
        seen.append(pure)


def acknowledge(
    db: Session,
    principal: Principal,
    session_id: int,
    alert_id: int,
    action: str,
    note: str,
    policy: ChairsidePolicy,
) -> AlertAction:
    c = for_charting(db, principal, session_id, policy)
    found = next((a for a in c.alerts if a.alert.id == alert_id), None)
    if found is None:
        raise SessionAlertNotFound(f"No alert {alert_id} on this session.")
    if action not in ALERT_ACTIONS:
        raise UnknownAlertAction("choose one of: " + ", ".join(ALERT_ACTIONS))
    if action in {"rescue_medication", "notify_prescriber", "stop"} and len(note) < 3:
        raise AlertActionNoteRequired("say what was given, who was told, or why it stopped")
    row = AlertAction(
        session_id=c.session.id,
        patient_id=c.patient.id,
        alert_id=alert_id,
        action=action,
        note=note,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return append_row(
        db,
        principal,
        c,
        row,
        "patient.session.alert_acknowledged",
        "session_alert",
        resource_id=alert_id,
        detail={"action": action},
    )


# ---- side effects and rescue medications ------------------------------------------------


def _at_or_now(value: datetime | None, field_name: str) -> datetime:
    now = recorded_now()
    if value is None:
        return now
    at = as_utc(value)
    if at > now + timedelta(minutes=2):
        raise ChartedTimeInFuture.on(field_name, "in the future")
    if at < now - timedelta(hours=24):
        raise ChartedTimeTooOld.on(field_name, "more than a day ago")
    return at


def record_adverse(
    db: Session, principal: Principal, session_id: int, data: AdverseIn, policy: ChairsidePolicy
) -> AdverseEvent:
    c = for_charting(db, principal, session_id, policy)
    if c.session.state in {"scheduled", "no_show", "note_signed"}:
        raise SideEffectsClosed(
            "Side effects are charted during the session; after the note is signed, "
            "add an addendum."
        )
    try:
        policy.vocabulary.effect(data.effect)
    except (KeyError, LookupError, ValueError):
        raise UnknownSideEffect("choose a side effect from the list") from None
    if data.grade >= 4 and not data.serious:
        raise SeriousEventRequired("a grade 4 or 5 event is a serious adverse event")
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
    return append_row(
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
    c = for_charting(db, principal, session_id, policy)
    if c.session.state in {"scheduled", "no_show", "note_signed"}:
        raise RescueMedicationClosed("Rescue medications are charted during the session.")
    try:
        med = policy.vocabulary.medication(data.drug)
    except (KeyError, LookupError, ValueError):
        raise UnknownRescueMedication("choose a rescue medication from the list") from None
    problem = dose_problem(med, data.dose, data.route)
    if problem:
        field_name = "route" if "route" in problem else "dose"
        raise RescueDoseInvalid.on(field_name, problem)
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
    return append_row(
        db,
        principal,
        c,
        row,
        "patient.session.rescue_medication",
        "rescue_medication",
        detail={"drug": data.drug, "dose": str(data.dose), "route": data.route},
    )
