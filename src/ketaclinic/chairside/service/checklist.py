"""The pre-infusion checklist: what the chart answers itself, and what staff record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.chairside import repository as repo
from ketaclinic.chairside.errors import ChecklistInvalid
from ketaclinic.chairside.models import SessionCheck, VitalReading
from ketaclinic.chairside.service.chart import ChairsidePolicy, Chart, session_dose
from ketaclinic.chairside.service.steps import check_allowed, for_charting, step
from ketaclinic.clinical.chairside import start_problems
from ketaclinic.clinical.dosing import DoseError
from ketaclinic.clinical.scales.loader import load_instruments
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import recorded_now, to_local
from ketaclinic.previsit import service as previsit
from ketaclinic.screenings import service as screenings


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
        try:
            dose = session_dose(db, principal, c, policy)
            weight = dose.dosing_weight
            found["weight_current"] = ("pass", f"dosing weight {weight.value} kg" if weight else "")
        except DoseError as exc:
            problem = exc.fields.get("weight_kg") or "; ".join(exc.fields.values())
            found["weight_current"] = ("fail", problem)
    if "questionnaires_today" in keys:
        found["questionnaires_today"] = _questionnaires(db, principal, c, policy)
    return found


def _questionnaires(
    db: Session, principal: Principal, c: Chart, policy: ChairsidePolicy
) -> tuple[str, str]:
    """The questionnaires the plan assigns for this visit, done or not (naming the
    missing ones); without any assigned, any questionnaire completed today."""
    visit_id = c.session.appointment_id
    assigned = (
        previsit.due_for_patient(
            db,
            principal,
            c.patient.id,
            visit_id=visit_id,
            protocols=policy.plan.protocols,
            audited=False,
        )
        if visit_id is not None
        else []
    )
    if assigned:
        done = [d.name for d in assigned if d.done is not None]
        missing = [d.name for d in assigned if d.done is None]
        if not missing:
            return "pass", f"done: {', '.join(done)}"
        seen = f"not done: {', '.join(missing)}"
        return "fail", seen + (f"; done: {', '.join(done)}" if done else "")
    zone = c.clinic.timezone
    start = datetime.combine(today_at(db, c.session.clinic_id), datetime.min.time())
    since = start.replace(tzinfo=to_local(recorded_now(), zone).tzinfo)
    today = repo.questionnaires_since(db, [c.session.clinic_id], c.patient.id, since)
    if today:
        return "pass", ", ".join(sorted({_instrument_name(q.instrument_id) for q in today}))
    return "fail", "no questionnaire completed today"


def _instrument_name(instrument_id: str) -> str:
    """The questionnaire's name as staff know it (PHQ-9), not its id."""
    instrument = load_instruments().get(instrument_id)
    return instrument.name if instrument else instrument_id


@dataclass(frozen=True)
class EscortOnFile:
    """The escort confirmed for the visit: what the chart says beside the nurse's own
    "Escort present" check (the escort must still be here in person)."""

    name: str
    phone: str  # E.164; "" when staff confirmed a name only
    by_patient: bool


def escort_on_file(db: Session, c: Chart) -> EscortOnFile | None:
    """Who the patient (in the portal) or staff confirmed will take the patient home
    from this session's visit; None when no one is confirmed."""
    visit_id = c.session.appointment_id
    if visit_id is None:
        return None
    event = repo.escort_confirmation(db, [c.session.clinic_id], visit_id)
    if event is None:
        return None
    try:
        detail = json.loads(event.detail or "{}")
    except ValueError:
        detail = {}
    return EscortOnFile(
        name=str(detail.get("escort", "")),
        phone=str(detail.get("phone", "")),
        by_patient=detail.get("by") == "patient",
    )


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
    c = for_charting(db, principal, session_id, policy, lock=True)
    check_allowed(c.session, "complete_checks")
    known = {i.key: i for i in c.checklist}
    wrong = {k: "not an item of this session's checklist" for k in manual if k not in known}
    wrong |= {k: "recorded by the system" for k in manual if k in known and known[k].kind == "auto"}
    if wrong:
        raise ChecklistInvalid("Check the checklist.", wrong)
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
        step(db, principal, c.session, c.patient, "complete_checks")
    return c
