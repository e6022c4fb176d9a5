"""Encounter, Appointment, MedicationAdministration, MedicationRequest and CarePlan
from the chairside sessions, the calendar and the signed treatment plans."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ketaclinic.clinical import fhir_codes as fc
from ketaclinic.fhir.models import (
    Appointment,
    ChairsideSession,
    DoseCheck,
    PlanEvent,
    SessionEvent,
    TreatmentPlan,
    TreatmentSession,
)
from ketaclinic.fhir.shapes import concept, day, instant, meta, narrative, quantity, ref
from ketaclinic.kit.time import as_utc

AMBULATORY = {"system": fc.ACT_CODE, "code": "AMB", "display": "ambulatory"}
VISIT = fc.Code(fc.VISIT_TYPE_SYSTEM, "treatment-session", "Ketamine treatment session")


@dataclass(frozen=True)
class ProtocolFacts:
    """What a plan's protocol says about the drug (from the protocol library)."""

    name: str
    drug: str  # ketamine or esketamine
    route: str  # iv, im, sublingual, intranasal


def _latest(*moments: datetime | None) -> datetime:
    return max(as_utc(m) for m in moments if m is not None)


def encounter(s: ChairsideSession, a: Appointment | None) -> dict[str, Any]:
    start = s.checked_in_at or (a.starts_at if a else None) or s.created_at
    period: dict[str, str] = {"start": instant(start)}
    end = s.discharged_at or s.administration_ended_at
    if end is not None and fc.encounter_status(s.state) == "finished":
        period["end"] = instant(end)
    found: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(s.id),
        "meta": meta(
            _latest(
                s.created_at,
                s.checked_in_at,
                s.administration_started_at,
                s.administration_ended_at,
                s.discharged_at,
            ),
            fc.profile("us-core-encounter"),
        ),
        "identifier": [{"system": fc.KETACLINIC_SYSTEM + "visit", "value": str(s.id)}],
        "status": fc.encounter_status(s.state),
        "class": AMBULATORY,
        "type": [concept(VISIT, f"Treatment session {s.session_number}")],
        "subject": ref("Patient", s.patient_id),
        "period": period,
        "location": [{"location": ref("Location", s.clinic_id)}],
        "serviceProvider": ref("Organization", s.clinic_id),
    }
    if a is not None:
        found["appointment"] = [ref("Appointment", a.id)]
    return found


_PARTICIPATION = {"booked": "accepted", "completed": "accepted", "no_show": "declined"}


def appointment(a: Appointment) -> dict[str, Any]:
    status = fc.APPOINTMENT_STATUS.get(a.status, "booked")
    taking_part = _PARTICIPATION.get(a.status, "declined")
    minutes = int((as_utc(a.ends_at) - as_utc(a.starts_at)).total_seconds() // 60)
    return {
        "resourceType": "Appointment",
        "id": str(a.id),
        "meta": meta(a.created_at),
        "status": status,
        "serviceType": [concept(VISIT)],
        "description": f"Treatment session {a.session_number}",
        "start": instant(a.starts_at),
        "end": instant(a.ends_at),
        "minutesDuration": minutes,
        "created": instant(a.created_at),
        "participant": [
            {"actor": ref("Patient", a.patient_id), "status": taking_part, "required": "required"},
            {"actor": ref("Location", a.clinic_id), "status": "accepted", "required": "required"},
        ],
    }


def _drug_and_route(
    t: TreatmentSession | None, facts: ProtocolFacts | None
) -> tuple[fc.Code | None, fc.Code | None]:
    if t is not None and t.modality in fc.MODALITY:
        drug, route = fc.MODALITY[t.modality]
    elif facts is not None:
        drug, route = facts.drug, facts.route
    else:
        return None, None
    return fc.DRUGS[drug].code if drug in fc.DRUGS else None, fc.ROUTES.get(route)


def medication_administration(
    s: ChairsideSession,
    given: SessionEvent,
    t: TreatmentSession | None,
    check: DoseCheck | None,
    facts: ProtocolFacts | None,
) -> dict[str, Any] | None:
    """The drug given at a session, with the amount its end or stop recorded. None
    when the drug never ran. Sessions charted without the amount (the demo's year of
    history) say so in words rather than guess it."""
    detail = json.loads(given.detail or "{}")
    start = s.administration_started_at
    if "given_mg" not in detail and start is None:
        return None
    drug, route = _drug_and_route(t, facts)
    end = s.administration_ended_at or given.at
    effective: dict[str, Any] = (
        {"effectivePeriod": {"start": instant(start), "end": instant(end)}}
        if start is not None
        else {"effectiveDateTime": instant(end)}
    )
    dosage: dict[str, Any] = (
        {"dose": quantity(Decimal(str(detail["given_mg"])), "mg")}
        if "given_mg" in detail
        else {"text": "The amount given was not recorded with this session."}
    )
    if route is not None:
        dosage["route"] = concept(route)
    rate = s.rate_ml_per_h or (check.rate_ml_per_h if check else None)
    if rate is not None:
        dosage["rateQuantity"] = quantity(rate, "mL/h")
    found: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": str(s.id),
        "meta": meta(given.at),
        "status": "completed" if given.action == "end_administration" else "stopped",
        "medicationCodeableConcept": concept(drug) if drug else {"text": "ketamine"},
        "subject": ref("Patient", s.patient_id),
        "context": ref("Encounter", s.id),
        **effective,
        "request": ref("MedicationRequest", s.plan_id),
        "dosage": dosage,
    }
    if given.by_id:
        found["performer"] = [{"actor": ref("Practitioner", given.by_id)}]
    if given.reason:
        found["statusReason"] = [{"text": given.reason}]
    return found


def _status(events: list[PlanEvent]) -> str:
    return events[-1].status if events else "draft"


def _signer(plan: TreatmentPlan, events: list[PlanEvent]) -> int | None:
    signed = [e.by_id for e in events if e.status == "signed"]
    return signed[0] if signed else plan.created_by_id


def _dose_words(plan: TreatmentPlan) -> str:
    unit = fc.DOSE_UNITS.get(plan.dose_unit, plan.dose_unit)
    return f"{plan.dose_amount.normalize():f} {unit} ({plan.preparation})"


def medication_request(
    plan: TreatmentPlan, events: list[PlanEvent], facts: ProtocolFacts | None
) -> dict[str, Any]:
    drug, route = _drug_and_route(None, facts)
    dosage: dict[str, Any] = {"text": _dose_words(plan)}
    if route is not None:
        dosage["route"] = concept(route)
    if plan.dose_unit in fc.DOSE_UNITS:
        unit = fc.DOSE_UNITS[plan.dose_unit]
        dosage["doseAndRate"] = [{"doseQuantity": quantity(plan.dose_amount, unit)}]
    found: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(plan.id),
        "meta": meta(
            _latest(plan.created_at, *(e.at for e in events)),
            fc.profile("us-core-medicationrequest"),
        ),
        "status": fc.MEDICATION_REQUEST_STATUS.get(_status(events), "unknown"),
        "intent": "order",
        "reportedBoolean": False,
        "medicationCodeableConcept": concept(drug) if drug else {"text": "ketamine"},
        "subject": ref("Patient", plan.patient_id),
        "authoredOn": instant(plan.created_at),
        "dosageInstruction": [dosage],
    }
    signer = _signer(plan, events)
    if signer is not None:
        found["requester"] = ref("Practitioner", signer)
    return found


def care_plan(
    plan: TreatmentPlan, events: list[PlanEvent], facts: ProtocolFacts | None
) -> dict[str, Any]:
    sessions = list(json.loads(plan.sessions))
    title = facts.name if facts else plan.protocol_id
    status = fc.CARE_PLAN_STATUS.get(_status(events), "unknown")
    activities: list[dict[str, Any]] = [{"reference": ref("MedicationRequest", plan.id)}]
    for s in sessions:
        words = f"Session {s['number']} ({s['block']})" + (" - optional" if s["optional"] else "")
        activities.append(
            {
                "detail": {
                    "kind": "Appointment",
                    "code": concept(VISIT),
                    "status": "scheduled",
                    "description": words,
                    "scheduledPeriod": {"start": s["earliest"], "end": s["latest"]},
                }
            }
        )
    period: dict[str, str] = {"start": day(plan.start_date)}
    if sessions:
        period["end"] = sessions[-1]["latest"]
    found: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(plan.id),
        "meta": meta(
            _latest(plan.created_at, *(e.at for e in events)), fc.profile("us-core-careplan")
        ),
        "text": narrative(
            f"{title}: {len(sessions)} sessions from {plan.start_date.isoformat()}, "
            f"{_dose_words(plan)}. Status: {status}."
        ),
        "status": status,
        "intent": "plan",
        "category": [{"coding": [{"system": fc.CARE_PLAN_CATEGORY, "code": "assess-plan"}]}],
        "title": title,
        "subject": ref("Patient", plan.patient_id),
        "period": period,
        "created": instant(plan.created_at),
        "activity": activities,
    }
    signer = _signer(plan, events)
    if signer is not None:
        found["author"] = ref("Practitioner", signer)
    return found
