"""JSON API for chairside charting, including the monitor gateway's vital-signs
feed (``POST /api/v1/sessions/{id}/vitals``: a batch of timestamped readings,
idempotent on each reading's id)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing.service import charges as billing_charges
from ketaclinic.chairside import board as board_view
from ketaclinic.chairside import service
from ketaclinic.chairside.deps import committing, policy_of, witnesses
from ketaclinic.chairside.errors import NoRemsForm
from ketaclinic.chairside.models import SessionAlert, VitalReading
from ketaclinic.chairside.schemas import (
    AcknowledgeIn,
    ActionIn,
    AddendumIn,
    AdverseIn,
    ChecklistIn,
    DischargeIn,
    DrawnOut,
    GivenIn,
    OpenIn,
    ReleaseIn,
    RemsIn,
    RemsSentIn,
    RescueIn,
    SessionOut,
    StopIn,
    VitalsIn,
    VitalsOut,
)
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.fields import Id, Record
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession

router = APIRouter(prefix="/api/v1", tags=["chairside"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Your role may not chart sessions"},
    404: {"description": "No such session, visit or alert in your clinics"},
    409: {"description": "The session's state does not allow this step (the message says why)"},
    422: {"description": "A field is invalid; `error.fields` names it"},
}
T = TypeVar("T")


def session_out(c: service.Chart) -> SessionOut:
    s = c.session
    return SessionOut(
        id=s.id,
        patient_id=s.patient_id,
        appointment_id=s.appointment_id,
        plan_id=s.plan_id,
        session_number=s.session_number,
        protocol_id=s.protocol_id,
        state=s.state,
        state_label=c.state_label,
        phase=c.phase,
        actions=list(c.actions),
        checked_in_at=s.checked_in_at,
        administration_started_at=s.administration_started_at,
        administration_ended_at=s.administration_ended_at,
        discharged_at=s.discharged_at,
        rate_ml_per_h=s.rate_ml_per_h,
        next_reading_due=c.next_due,
        open_alerts=[alert_out(a.alert) for a in c.open_alerts],
        pending=[
            {
                "rule_id": f.rule_id,
                "label": f.label,
                "value": f.value,
                "limit": f.limit,
                "recheck_by": f.recheck_by,
            }
            for f in c.pending
        ],
        blocking=[i.key for i in c.blocking],
        drawn_from=[DrawnOut(lot=d.lot, mg=d.mg) for d in c.drawn],
    )


def alert_out(a: SessionAlert) -> dict[str, Any]:
    return {
        "id": a.id,
        "rule_id": a.rule_id,
        "severity": a.severity,
        "label": a.label,
        "message": a.message,
        "measure": a.measure,
        "value": a.value,
        "limit": a.limit,
        "raised_at": a.at,
    }


def reading_out(r: VitalReading) -> dict[str, Any]:
    return {
        "id": r.reading_key,
        "taken_at": r.taken_at,
        "systolic": r.systolic,
        "diastolic": r.diastolic,
        "heart_rate": r.heart_rate,
        "spo2": r.spo2,
        "respiratory_rate": r.respiratory_rate,
        "sedation": r.sedation,
        "cadss": r.cadss,
        "on_oxygen": r.on_oxygen,
        "source": r.source,
    }


def _fresh(request: Request, db: Session, principal: Principal, session_id: Id) -> SessionOut:
    return session_out(service.chart(db, principal, session_id, policy_of(request), audited=False))


@router.post(
    "/appointments/{appointment_id}/session",
    response_model=SessionOut,
    status_code=201,
    responses=ERRORS,
)
def open_session(
    request: Request, appointment_id: Id, data: OpenIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Check the patient of a booked visit in (or mark them a no-show)."""
    s = service.open_session(db, principal, appointment_id, data.action, policy_of(request))
    return _fresh(request, db, principal, s.id)


@router.get("/sessions/{session_id}", response_model=SessionOut, responses=ERRORS)
def get_session(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Any:
    return session_out(service.chart(db, principal, session_id, policy_of(request)))


@router.post("/sessions/{session_id}/checklist", response_model=SessionOut, responses=ERRORS)
def checklist(
    request: Request, session_id: Id, data: ChecklistIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Record the manual items; the system adds the ones it can see. The pre-checks
    complete when no blocking item is open (``blocking`` lists what is)."""
    manual = {k: (v.result, v.value) for k, v in data.items.items()}
    service.record_checks(db, principal, session_id, manual, policy_of(request))
    return _fresh(request, db, principal, session_id)


@router.post("/sessions/{session_id}/release", response_model=SessionOut, responses=ERRORS)
def release(
    request: Request, session_id: Id, data: ReleaseIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Release today's dose: the second clinician re-enters weight and concentration
    with their own credentials; the draw and any excess wasted before them (the
    checker witnesses) are ledger entries in the same transaction."""
    policy = policy_of(request)
    c = service.chart(db, principal, session_id, policy, audited=False)
    service.check_allowed(c.session, "release_dose")
    confirmed = witnesses(
        request, db, principal, c.session.clinic_id, [data.checker, *data.witnesses]
    )
    checker = service.checker_principal(db, confirmed[0], c.session.clinic_id, principal.origin)
    committing(
        db,
        lambda: service.release_dose(db, principal, session_id, data, checker, confirmed, policy),
    )
    return _fresh(request, db, principal, session_id)


@router.post("/sessions/{session_id}/actions", response_model=SessionOut, responses=ERRORS)
def action(
    request: Request, session_id: Id, data: ActionIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Start, pause, resume, change the rate (slower than released), or observe after an
    early stop. ``at`` dates the step: never in the future nor before the step it
    follows (a 422 naming ``at``)."""
    service.act(
        db,
        principal,
        session_id,
        data.action,
        policy_of(request),
        reason=data.reason,
        rate_ml_per_h=data.rate_ml_per_h,
        at=data.at,
    )
    return _fresh(request, db, principal, session_id)


@router.post("/sessions/{session_id}/end", response_model=SessionOut, responses=ERRORS)
def end(
    request: Request, session_id: Id, data: GivenIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """End of administration: what was given (at most the released dose) is
    administered in the ledger; anything left is wasted before a witness, in the same
    transaction. Ended before the clinic's share of the planned duration (the clock
    stops while paused), it needs ``early_reason`` (and ``early_note`` for other)."""
    policy = policy_of(request)
    c = service.chart(db, principal, session_id, policy, audited=False)
    given = witnesses(request, db, principal, c.session.clinic_id, data.witnesses)
    service.end_administration(db, principal, session_id, data, given, policy)
    return _fresh(request, db, principal, session_id)


@router.post("/sessions/{session_id}/stop", response_model=SessionOut, responses=ERRORS)
def stop(
    request: Request, session_id: Id, data: StopIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    policy = policy_of(request)
    c = service.chart(db, principal, session_id, policy, audited=False)
    given = witnesses(request, db, principal, c.session.clinic_id, data.witnesses)
    service.stop(db, principal, session_id, data, given, policy)
    billing_charges.after_step(db, principal, session_id)
    return _fresh(request, db, principal, session_id)


@router.get("/sessions/{session_id}/vitals", response_model=Page[Record], responses=ERRORS)
def vitals(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    c = service.chart(db, principal, session_id, policy_of(request))
    return paging.of(reading_out(r) for r in c.readings)


@router.post("/sessions/{session_id}/vitals", response_model=VitalsOut, responses=ERRORS)
def post_vitals(
    request: Request, session_id: Id, data: VitalsIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """A monitor gateway's (or a person's) readings. Each reading carries its own id:
    posting the same id again with the same values is a no-op (counted in
    ``duplicates``), with different values a 422. Values outside what is physically
    possible (SBP 400, SpO2 120) are refused with the field named. Alerts the
    readings raise are returned."""
    result = service.record_vitals(
        db,
        principal,
        session_id,
        data.readings,
        policy_of(request),
        source="device" if principal.via_token else "manual",
        device=data.device,
        confirm_repeat=data.confirm_repeat,
    )
    return VitalsOut(
        accepted=len(result.accepted),
        duplicates=result.duplicates,
        alerts=[alert_out(a) for a in result.alerts],
    )


@router.post(
    "/sessions/{session_id}/alerts/{alert_id}/acknowledge", status_code=201, responses=ERRORS
)
def acknowledge(
    request: Request,
    session_id: Id,
    alert_id: Id,
    data: AcknowledgeIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> dict[str, Any]:
    row = service.acknowledge(
        db, principal, session_id, alert_id, data.action, data.note, policy_of(request)
    )
    return {"id": row.id, "alert_id": alert_id, "action": row.action}


@router.post("/sessions/{session_id}/adverse-events", status_code=201, responses=ERRORS)
def adverse(
    request: Request, session_id: Id, data: AdverseIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    row = service.record_adverse(db, principal, session_id, data, policy_of(request))
    return {"id": row.id, "effect": row.effect, "grade": row.grade, "serious": row.serious}


@router.post("/sessions/{session_id}/rescue-medications", status_code=201, responses=ERRORS)
def rescue(
    request: Request, session_id: Id, data: RescueIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    row = service.record_rescue(db, principal, session_id, data, policy_of(request))
    return {
        "id": row.id,
        "drug": row.drug,
        "dose": str(row.dose),
        "unit": row.unit,
        "route": row.route,
    }


@router.post("/sessions/{session_id}/discharge", response_model=SessionOut, responses=ERRORS)
def discharge(
    request: Request, session_id: Id, data: DischargeIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """The modified Aldrete score (recorded even when the discharge is refused), the
    observation minimum, the escort and the instructions."""
    committing(db, lambda: service.discharge(db, principal, session_id, data, policy_of(request)))
    billing_charges.after_step(db, principal, session_id)
    return _fresh(request, db, principal, session_id)


@router.get("/sessions/{session_id}/note", responses=ERRORS)
def note(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    """The signed note (or, before signing, the draft the session's records give)."""
    c = service.chart(db, principal, session_id, policy_of(request))
    body = json.loads(c.note.body) if c.note else service.compose_note(c)
    return {
        "signed": c.note is not None,
        "body": body,
        "signatures": [
            {"role": s.role, "by": c.people.get(s.by_id or 0, ""), "at": s.at} for s in c.signatures
        ],
        "addenda": [
            {"text": a.text, "by": c.people.get(a.by_id or 0, ""), "at": a.at} for a in c.addenda
        ],
    }


@router.post(
    "/sessions/{session_id}/note/signatures",
    response_model=SessionOut,
    status_code=201,
    responses=ERRORS,
)
def sign(request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    service.sign_note(db, principal, session_id, policy_of(request))
    return _fresh(request, db, principal, session_id)


@router.post("/sessions/{session_id}/note/addenda", status_code=201, responses=ERRORS)
def addendum(
    request: Request, session_id: Id, data: AddendumIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    row = service.add_addendum(db, principal, session_id, data.text, policy_of(request))
    return {"id": row.id, "note_id": row.note_id}


@router.get("/sessions/{session_id}/rems", responses=ERRORS)
def rems(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    c = service.chart(db, principal, session_id, policy_of(request))
    if not c.protocol.rems:
        raise NoRemsForm(
            f"Session {session_id} has no REMS form: it is not under the Spravato REMS.",
            {"session_id": "this session is not under the Spravato REMS"},
        )
    return {
        "fields": service.rems_fields(db, c),
        "missing": service.rems_missing(c, db),
        "sent": c.rems_sent is not None,
    }


@router.put("/sessions/{session_id}/rems", responses=ERRORS)
def put_rems(
    request: Request, session_id: Id, data: RemsIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    policy = policy_of(request)
    service.save_rems(db, principal, session_id, data.fields, policy)
    c = service.chart(db, principal, session_id, policy, audited=False)
    return {
        "fields": service.rems_fields(db, c),
        "missing": service.rems_missing(c, db),
        "sent": False,
    }


@router.post("/sessions/{session_id}/rems/sent", status_code=201, responses=ERRORS)
def rems_sent(
    request: Request, session_id: Id, data: RemsSentIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    row = service.mark_rems_sent(
        db, principal, session_id, data.sent_on, data.reference, policy_of(request)
    )
    return {"id": row.id, "sent_on": row.sent_on, "reference": row.reference}


@router.get("/rems/due", response_model=Page[Record], responses=ERRORS)
def rems_due(request: Request, principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    """REMS monitoring forms not yet sent: due within 7 days of each session."""
    return paging.of(
        {
            "session_id": d.session.id,
            "patient_id": d.patient.id,
            "treated_on": d.treated_on,
            "due_on": d.due_on,
            "overdue": d.overdue,
        }
        for d in service.rems_due(db, principal, policy_of(request))
    )


@router.get("/board", responses=ERRORS)
def board(
    request: Request, principal: CurrentPrincipal, db: DbSession, clinic_id: Id | None = None
) -> dict[str, Any]:
    """Every chair now: patient, phase, minutes, last vitals, open alerts, next reading."""
    view = board_view.board(db, principal, policy_of(request), clinic_id)
    return board_view.as_json(view)
