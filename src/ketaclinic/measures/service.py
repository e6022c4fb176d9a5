"""Measurement-based care use cases: score and store responses, raise and
acknowledge safety alerts, one-time patient links, outcomes. Never commits.

Scoring, alert rules and outcome rules are the pure ``clinical`` core; this module
only stores what they decide and records every read and write in the audit trail.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical import outcomes
from ketaclinic.clinical.alerts import alerts_for
from ketaclinic.clinical.scales import (
    Instrument,
    ScoreResult,
    ScoringError,
    UnknownInstrumentError,
    get_instrument,
    load_instruments,
    score,
)
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.measures import errors, events
from ketaclinic.measures import repository as repo
from ketaclinic.measures.models import QuestionnaireLink, QuestionnaireResponse, SafetyAlert
from ketaclinic.measures.schemas import ResponseIn, TreatmentIn
from ketaclinic.patients.models import Patient
from ketaclinic.treatments.models import TreatmentSession


@dataclass(frozen=True)
class OutcomeRules:
    """Outcome rules that are not the clinic's to set. The response fall, PCL-5
    points, relapse and futility counts are the clinic's (clinics.settings.for_clinic;
    defaults: clinical.outcomes, citing docs/clinical-references.md#outcomes)."""

    # Pain NRS: a 30% fall is a meaningful response (docs/clinical-references.md#outcomes).
    pain_fall_fraction: float = 0.3


def instruments() -> list[Instrument]:
    return sorted(load_instruments().values(), key=lambda i: i.name)


def instrument(instrument_id: str, field: str = "instrument_id") -> Instrument:
    try:
        return get_instrument(instrument_id)
    except UnknownInstrumentError:
        known = ", ".join(sorted(load_instruments()))
        raise errors.UnknownQuestionnaire(
            f"unknown questionnaire; known: {known}", field=field
        ) from None


# Flag thresholds per instrument; None: the clinic's (clinics.settings.for_clinic).
ScaleThresholds = Mapping[str, Mapping[str, int]]


def _score(
    inst: Instrument, answers: dict[str, int | bool], thresholds: ScaleThresholds | None = None
) -> ScoreResult:
    try:
        return score(inst, answers, thresholds=(thresholds or {}).get(inst.id))
    except ScoringError as exc:
        raise errors.AnswersInvalid(
            fields={f"answers.{item}": problem for item, problem in exc.fields.items()},
        ) from None


def _store(
    db: Session,
    patient: Patient,
    result: ScoreResult,
    *,
    completed_at: datetime,
    completed_by: str,
    entered_by_id: int | None,
    session_id: int | None,
    principal: Principal | None,
    origin: Origin | None = None,
    actor: str | None = None,
) -> tuple[QuestionnaireResponse, list[SafetyAlert]]:
    if completed_at > utcnow() + timedelta(minutes=5):
        raise errors.CompletedInFuture()
    row = QuestionnaireResponse(
        patient_id=patient.id,
        instrument_id=result.instrument_id,
        instrument_version=result.instrument_version,
        completed_at=completed_at,
        completed_by=completed_by,
        entered_by_id=entered_by_id,
        session_id=session_id,
        answers=json.dumps(result.answers, sort_keys=True),
        total=result.total,
        max_total=result.max_total,
        band=result.band,
        subscores=json.dumps(result.subscores, sort_keys=True),
        flags=json.dumps(list(result.flags)),
        risk_level=result.risk_level,
    )
    db.add(row)
    db.flush()
    raised = []
    for kind, message in alerts_for(result.flags):
        alert = SafetyAlert(
            patient_id=patient.id,
            response_id=row.id,
            kind=kind,
            message=message,
            raised_at=utcnow(),
        )
        db.add(alert)
        raised.append(alert)
    db.flush()
    common: dict[str, Any] = {"origin": origin, "actor": actor}
    audit.on_patient(
        db,
        principal,
        "patient.questionnaire.create",
        patient,
        resource_type="questionnaire_response",
        resource_id=row.id,
        detail={"instrument": row.instrument_id, "completed_by": completed_by},
        **common,
    )
    for alert in raised:
        audit.on_patient(
            db,
            principal,
            "patient.alert.raise",
            patient,
            resource_type="safety_alert",
            resource_id=alert.id,
            detail={"kind": alert.kind, "response_id": row.id},
            **common,
        )
    events.recorded(db, patient.id)
    return row, raised


def _clinic_scales(db: Session, patient: Patient, given: ScaleThresholds | None) -> ScaleThresholds:
    return given if given is not None else for_clinic(db, patient.clinic_id).scale_thresholds


def record_response(
    db: Session,
    principal: Principal,
    patient: Patient,
    data: ResponseIn,
    thresholds: ScaleThresholds | None = None,
) -> tuple[QuestionnaireResponse, list[SafetyAlert]]:
    """Staff enter a response (clinician-rated, or read aloud for the patient)."""
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    inst = instrument(data.instrument_id)
    if data.session_id is not None and (
        repo.treatment(db, list(principal.roles), patient.id, data.session_id) is None
    ):
        raise errors.TreatmentNotOfPatient()
    return _store(
        db,
        patient,
        _score(inst, data.answers, _clinic_scales(db, patient, thresholds)),
        completed_at=data.completed_at or utcnow(),
        completed_by=data.completed_by,
        entered_by_id=principal.user_id,
        session_id=data.session_id,
        principal=principal,
    )


def responses(
    db: Session, principal: Principal, patient: Patient, instrument_id: str | None = None
) -> list[QuestionnaireResponse]:
    return repo.responses(db, list(principal.roles), patient.id, instrument_id)


def as_dict(row: QuestionnaireResponse, alerts: Sequence[SafetyAlert] = ()) -> dict[str, Any]:
    return {
        "id": row.id,
        "patient_id": row.patient_id,
        "instrument_id": row.instrument_id,
        "instrument_version": row.instrument_version,
        "completed_at": row.completed_at,
        "completed_by": row.completed_by,
        "entered_by_id": row.entered_by_id,
        "session_id": row.session_id,
        "answers": json.loads(row.answers),
        "total": row.total,
        "max_total": row.max_total,
        "band": row.band,
        "subscores": json.loads(row.subscores),
        "flags": json.loads(row.flags),
        "risk_level": row.risk_level,
        "alerts": list(alerts),
    }


# ---- safety alerts -----------------------------------------------------------


def patient_alerts(
    db: Session, principal: Principal, patient: Patient, *, open_only: bool = False
) -> list[SafetyAlert]:
    rows = repo.alerts(db, list(principal.roles), patient_id=patient.id, open_only=open_only)
    return [alert for alert, _ in rows]


def open_alerts(db: Session, principal: Principal) -> list[tuple[SafetyAlert, Patient]]:
    """Every unacknowledged alert in the caller's clinics, newest first (dashboard)."""
    clinics = principal.require_any(Permission.PATIENT_READ)
    found = repo.alerts(db, clinics, open_only=True)
    for clinic_id in sorted({p.clinic_id for _, p in found}):
        audit.record(
            db,
            principal,
            "patient.alert.list",
            clinic_id=clinic_id,
            resource_type="safety_alert",
            detail={"alert_ids": [a.id for a, p in found if p.clinic_id == clinic_id]},
        )
    return found


def acknowledge(
    db: Session, principal: Principal, patient: Patient, alert_id: int, note: str
) -> SafetyAlert:
    alert = repo.alert(db, list(principal.roles), alert_id)
    if alert is None or alert.patient_id != patient.id:
        raise errors.AlertNotFound(f"No alert {alert_id} on this patient.")
    if not principal.can(Permission.ALERT_ACKNOWLEDGE, patient.clinic_id):
        raise errors.AcknowledgeForbidden()
    if alert.acknowledged_at is not None:
        raise errors.AlertAlreadyAcknowledged()
    note = note.strip()
    if len(note) < 3:
        raise errors.AcknowledgeNoteTooShort()
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = principal.user_id
    alert.note = note
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.alert.acknowledge",
        patient,
        resource_type="safety_alert",
        resource_id=alert.id,
        detail={"kind": alert.kind},
    )
    return alert


# ---- treatments --------------------------------------------------------------


def record_treatment(
    db: Session, principal: Principal, patient: Patient, data: TreatmentIn
) -> TreatmentSession:
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    if data.given_at > utcnow() + timedelta(minutes=5):
        raise errors.TreatmentInFuture()
    row = TreatmentSession(
        patient_id=patient.id,
        given_at=data.given_at,
        modality=data.modality,
        recorded_by_id=principal.user_id,
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.treatment.create",
        patient,
        resource_type="treatment_session",
        resource_id=row.id,
        detail={"modality": row.modality},
    )
    events.recorded(db, patient.id)
    return row


def treatments(db: Session, principal: Principal, patient: Patient) -> list[TreatmentSession]:
    return repo.treatments(db, list(principal.roles), patient.id)


# ---- outcomes ------------------------------------------------------------------


def _status(summary: outcomes.OutcomeSummary) -> str:
    if summary.baseline is None:
        return "no baseline" if summary.treatments_given else "before treatment"
    if summary.latest is None:
        return "awaiting a score after treatment"
    if summary.is_remission:
        return "remission"
    if summary.response_lost_at is not None:
        return "response lost"
    if summary.is_response:
        return "response"
    if summary.is_futile:
        return "no response: review"
    return "not yet responding"


def outcome_summaries(
    db: Session, principal: Principal, patient: Patient, rules: OutcomeRules
) -> list[dict[str, Any]]:
    """One summary per instrument the patient has answered."""
    given = [t.given_at for t in treatments(db, principal, patient)]
    by_instrument: dict[str, list[outcomes.Point]] = {}
    for row in responses(db, principal, patient):
        by_instrument.setdefault(row.instrument_id, []).append((row.completed_at, row.total))
    found = []
    clinic = for_clinic(db, patient.clinic_id)
    for instrument_id, points in sorted(by_instrument.items()):
        fall = rules.pain_fall_fraction if instrument_id == "pain_nrs" else None
        summary = outcomes.summarize(
            instrument_id,
            points,
            given,
            min_fall_fraction=fall or clinic.response_fall_fraction,
            min_fall_points={"pcl5": clinic.pcl5_fall_points},
            relapse_consecutive=clinic.relapse_consecutive,
            futility_after_treatments=clinic.futility_after_treatments,
        )
        found.append(
            {
                "instrument_id": instrument_id,
                "instrument_name": get_instrument(instrument_id).name,
                "responses": len(points),
                "treatments_given": summary.treatments_given,
                "baseline_total": summary.baseline[1] if summary.baseline else None,
                "baseline_at": summary.baseline[0] if summary.baseline else None,
                "latest_total": summary.latest[1] if summary.latest else None,
                "latest_at": summary.latest[0] if summary.latest else None,
                "absolute_change": summary.absolute_change,
                "percent_change": summary.percent_change,
                "is_response": summary.is_response,
                "first_response_at": summary.first_response_at,
                "is_remission": summary.is_remission,
                "response_lost_at": summary.response_lost_at,
                "is_futile": summary.is_futile,
                "status": _status(summary),
            }
        )
    return found


# ---- one-time patient links ------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(
    db: Session, principal: Principal, patient: Patient, instrument_id: str, valid_hours: int
) -> tuple[QuestionnaireLink, str]:
    """A link for the patient to complete one questionnaire; the token is returned
    once and only its hash is kept."""
    principal.require(Permission.PATIENT_WRITE, patient.clinic_id)
    inst = instrument(instrument_id)
    if inst.completed_by != "self":
        raise errors.ClinicianRated()
    token = secrets.token_urlsafe(24)
    link = QuestionnaireLink(
        patient_id=patient.id,
        instrument_id=inst.id,
        token_hash=_hash(token),
        created_by_id=principal.user_id,
        expires_at=utcnow() + timedelta(hours=valid_hours),
    )
    db.add(link)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.questionnaire_link.create",
        patient,
        resource_type="questionnaire_link",
        resource_id=link.id,
        detail={"instrument": inst.id, "valid_hours": valid_hours},
    )
    return link, token


class LinkUnusable(Exception):
    """The link is unknown (404), used or expired (410); ``reason`` is safe to show
    the patient."""

    def __init__(self, reason: str, status_code: int = 410) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


def open_link(
    db: Session, token: str, origin: Origin | None = None
) -> tuple[QuestionnaireLink, Patient]:
    """The link and its patient, if usable. With ``origin`` (the patient opening the
    page) the opening, or the refusal of a used or expired link, is audited."""
    found = repo.link_by_token_hash(db, _hash(token)) if len(token) < 100 else None
    if found is None:
        raise LinkUnusable("This link is not valid. Ask the clinic for a new one.", 404)
    link, patient = found
    problem = None
    if link.used_at is not None:
        problem = "This questionnaire was already completed. Thank you."
    elif link.expires_at <= utcnow():
        problem = "This link has expired. Ask the clinic for a new one."
    if origin is not None:
        audit.on_patient(
            db,
            None,
            "patient.questionnaire_link.open",
            patient,
            outcome=audit.DENIED if problem else audit.ALLOWED,
            resource_type="questionnaire_link",
            resource_id=link.id,
            detail={"reason": problem} if problem else None,
            origin=origin,
            actor=f"patient-link:{link.id}",
        )
    if problem:
        raise LinkUnusable(problem)
    return link, patient


def complete_link(
    db: Session,
    token: str,
    answers: dict[str, int | bool],
    origin: Origin,
    thresholds: ScaleThresholds | None = None,
) -> tuple[QuestionnaireResponse, list[SafetyAlert]]:
    link, patient = open_link(db, token)
    inst = get_instrument(link.instrument_id)
    result = _score(inst, answers, _clinic_scales(db, patient, thresholds))
    row, raised = _store(
        db,
        patient,
        result,
        completed_at=utcnow(),
        completed_by="patient",
        entered_by_id=None,
        session_id=None,
        principal=None,
        origin=origin,
        actor=f"patient-link:{link.id}",
    )
    link.used_at = utcnow()
    link.response_id = row.id
    db.flush()
    return row, raised


def record_patient_response(
    db: Session,
    patient: Patient,
    instrument_id: str,
    answers: dict[str, int | bool],
    *,
    origin: Origin | None,
    actor: str,
) -> tuple[QuestionnaireResponse, list[SafetyAlert]]:
    """The patient answers a self-report questionnaire themselves (the portal): the same
    scoring, storing and safety alerts as a one-time link. The caller checks that it
    is theirs to answer now."""
    inst = instrument(instrument_id)
    result = _score(inst, answers, _clinic_scales(db, patient, None))
    return _store(
        db,
        patient,
        result,
        completed_at=utcnow(),
        completed_by="patient",
        entered_by_id=None,
        session_id=None,
        principal=None,
        origin=origin,
        actor=actor,
    )
