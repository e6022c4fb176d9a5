"""The Spravato REMS patient monitoring form: generated from the session, completed,
marked sent; the 7-day due list."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.chairside import repository as repo
from ketaclinic.chairside.errors import (
    NotUnderRems,
    RemsAlreadySent,
    RemsFormInvalid,
    RemsFormSent,
    RemsIncomplete,
    RemsSentBeforeTreatment,
    RemsSentInFuture,
    UnknownRemsField,
)
from ketaclinic.chairside.models import ChairsideSession, RemsForm, RemsSubmission
from ketaclinic.chairside.service.chart import ChairsidePolicy, Chart, clinics_of
from ketaclinic.chairside.service.steps import append_row, for_charting
from ketaclinic.clinical.chairside import rems as rems_rules
from ketaclinic.clinical.chairside.concomitant import classes_of
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import as_utc, recorded_now, to_local
from ketaclinic.patients.models import Patient


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
    c = for_charting(db, principal, session_id, policy)
    if not c.protocol.rems:
        raise NotUnderRems("This session is not under the Spravato REMS.")
    known = {f.key: f for f in rems_rules.REMS_FIELDS}
    unknown = {k: "not a field of the REMS form" for k in fields if k not in known}
    if unknown:
        raise UnknownRemsField("Check the REMS form.", unknown)
    if c.rems_sent is not None:
        raise RemsFormSent("The form was sent; it cannot change now.")
    merged = rems_typed(rems_fields(db, c) | dict(fields))
    wrong = {
        k: v
        for k, v in rems_rules.missing(merged).items()
        if k in fields and fields[k] not in (None, "")
    }
    if wrong:
        raise RemsFormInvalid("Check the REMS form.", wrong)
    saved = (json.loads(c.rems_form.fields) if c.rems_form else {}) | dict(fields)
    row = RemsForm(
        session_id=c.session.id,
        patient_id=c.patient.id,
        fields=json.dumps(saved, sort_keys=True, default=str),
        due_on=rems_rules.due_on(_treatment_date(c)),
        by_id=principal.user_id,
        at=recorded_now(),
    )
    return append_row(db, principal, c, row, "patient.session.rems_saved", "rems_form")


def mark_rems_sent(
    db: Session,
    principal: Principal,
    session_id: int,
    sent_on: date,
    reference: str,
    policy: ChairsidePolicy,
) -> RemsSubmission:
    c = for_charting(db, principal, session_id, policy)
    if not c.protocol.rems:
        raise NotUnderRems("This session is not under the Spravato REMS.")
    if c.rems_sent is not None:
        raise RemsAlreadySent("This form is already marked sent.")
    missing = rems_missing(c, db)
    if missing:
        raise RemsIncomplete(
            "Complete the REMS form first.", {f"rems.{k}": v for k, v in missing.items()}
        )
    if sent_on > today_at(db, c.session.clinic_id):
        raise RemsSentInFuture("in the future")
    if sent_on < _treatment_date(c):
        raise RemsSentBeforeTreatment("before the treatment")
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
    return append_row(
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
    clinics = clinics_of(principal)
    found = rems_due_in_clinics(db, clinics, policy)
    audit.record(
        db,
        principal,
        "rems.due_viewed",
        clinic_id=clinics[0],
        resource_type="rems_forms",
        detail={"unsent": len(found)},
    )
    return found


def rems_due_in_clinics(
    db: Session, clinic_ids: Sequence[int], policy: ChairsidePolicy, now: datetime | None = None
) -> list[RemsDue]:
    """System work (no principal, not audited here: the caller audits what it does with
    it): the REMS sessions of these clinics given and not yet reported, soonest due
    first; overdue by each clinic's date at ``now`` (the clock's now by default)."""
    clinics = list(clinic_ids)
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
        zone = timezone_of(db, s.clinic_id)
        treated = to_local(s.administration_started_at, zone).date()
        due = rems_rules.due_on(treated)
        today = today_at(db, s.clinic_id, now)
        found.append(RemsDue(s, patient, treated, due, due < today))
    return sorted(found, key=lambda d: (d.due_on, d.session.id))
