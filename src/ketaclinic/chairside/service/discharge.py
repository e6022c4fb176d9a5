"""Discharge: the modified Aldrete score, observation time, escort and instructions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.chairside.errors import AldreteInvalid
from ketaclinic.chairside.models import AldreteScore
from ketaclinic.chairside.schemas import DischargeIn
from ketaclinic.chairside.service.chart import ChairsidePolicy, Chart
from ketaclinic.chairside.service.steps import (
    check_allowed,
    complete_visit,
    for_charting,
    step,
)
from ketaclinic.clinical.chairside import (
    Aldrete,
    DischargeFacts,
    missing_for_discharge,
    missing_for_ready,
)
from ketaclinic.consents import sharing
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import recorded_now


class DischargeRefused(ValidationFailed):
    """The assessment is recorded; the discharge is refused with what is missing.
    The handler commits before answering, so the score stays on the chart."""

    code = "discharge_refused"


def discharge(
    db: Session, principal: Principal, session_id: int, data: DischargeIn, policy: ChairsidePolicy
) -> Chart:
    c = for_charting(db, principal, session_id, policy, lock=True)
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
        raise AldreteInvalid(str(exc)) from None
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
        min_score=c.settings.aldrete_min_score,
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
        step(db, principal, s, c.patient, "mark_ready", detail=detail)
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
    complete_visit(db, principal, s)
    step(
        db,
        principal,
        s,
        c.patient,
        "discharge",
        detail={**detail, "escort_present": True, "instructions_given": True},
    )
    if c.protocol.route == "iv":
        # The after-infusion care sheet reaches the portal with the discharge, once per version.
        sharing.share_on_completion(db, c.patient)
    return c
