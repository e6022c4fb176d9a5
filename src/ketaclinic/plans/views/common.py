"""What the plan pages share: the protocol asked for, the builder form and its PK preview."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.clinical.dosing import Dose, DoseError
from ketaclinic.clinical.pk import MODELS
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinical.treatment.model import UNIT_LABELS
from ketaclinic.clinics.service import timezone_of, today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.kit import forms
from ketaclinic.kit.errors import (
    KetaClinicError,
)
from ketaclinic.kit.web import render
from ketaclinic.patients.models import Patient
from ketaclinic.plans import errors as plan_errors
from ketaclinic.plans import service
from ketaclinic.plans.deps import policy_of
from ketaclinic.plans.models import TreatmentPlan
from ketaclinic.plans.pk_plot import DEFAULT_MODEL, model_choices, preview, preview_svg
from ketaclinic.plans.schemas import PlanIn
from ketaclinic.screenings import service as screenings

# What every plan page may show: unit labels and Decimal for rounding on display.
COMMON: dict[str, Any] = {"units": UNIT_LABELS, "Decimal": Decimal, "pk_models": model_choices()}
PLOT_CSP = "default-src 'none'; style-src 'unsafe-inline'"
ACTION_LABELS = {
    "sign": "Sign plan",
    "start": "Mark started",
    "pause": "Pause",
    "resume": "Resume",
    "complete": "Mark completed",
    "stop": "Stop",
}


def _protocol(request: Request, protocol_id: str) -> Protocol:
    found = policy_of(request).protocols.get(protocol_id)
    if found is None:
        raise plan_errors.ProtocolNotFound(f"No protocol {protocol_id!r}.")
    return found


def _form_values(form: FormData) -> dict[str, str]:
    names = (
        "protocol_id",
        "dose_amount",
        "preparation",
        "start_date",
        "note",
        "over_soft_limit_reason",
    )
    return forms.values(form, names)


def _plan_in(values: dict[str, str]) -> tuple[PlanIn | None, dict[str, str]]:
    return forms.parse(PlanIn, forms.given(values))


def _dose_preview(
    db: Session,
    principal: Principal,
    patient: Patient,
    protocol: Protocol,
    values: dict[str, str],
    policy: service.PlanPolicy,
) -> tuple[Dose | None, dict[str, str]]:
    """Today's dose for session 1 with the values on the form, or why not."""
    try:
        amount = Decimal(values["dose_amount"]) if values.get("dose_amount") else None
    except InvalidOperation:
        return None, {"dose_amount": "enter a number"}
    draft = TreatmentPlan(
        protocol_id=protocol.id,
        dose_amount=amount if amount is not None else protocol.dose.amount,
        preparation=values.get("preparation") or protocol.preparations[0].label,
        over_soft_limit_reason=values.get("over_soft_limit_reason") or None,
    )
    try:
        return service.dose_for(db, principal, patient, draft, policy), {}
    except DoseError as exc:
        return None, exc.fields
    except KetaClinicError as exc:
        return None, dict(exc.fields)


def _builder(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    plan: TreatmentPlan | None = None,
    status_code: int = 200,
) -> Response:
    policy = policy_of(request)
    protocol = policy.protocols.get(values.get("protocol_id", ""))
    context: dict[str, Any] = {
        **COMMON,
        "patient": patient,
        "values": values,
        "errors": errors or {},
        "plan": plan,
        "protocols": sorted(policy.protocols.values(), key=lambda p: p.name),
        "protocol": protocol,
        "tz": timezone_of(db, patient.clinic_id),
    }
    if protocol is not None:
        try:
            start = date.fromisoformat(values.get("start_date", ""))
        except ValueError:
            start = today_at(db, patient.clinic_id)
        context["sessions"] = service.schedule(protocol, start)
        context["dose"], context["dose_problems"] = _dose_preview(
            db, principal, patient, protocol, values, policy
        )
        context["clearance"] = screenings.status(
            db, principal, patient, policy.screening, rule_set_id=protocol.rule_set
        ).clearance
    return render(request, "plans/builder.html", context, status_code=status_code)


def _svg(
    dose: Dose | None, problems: dict[str, str], protocol: Protocol, model: str = DEFAULT_MODEL
) -> Response:
    if model not in MODELS:
        raise plan_errors.UnknownPkModel(f"unknown model; known: {', '.join(MODELS)}")
    if dose is None or dose.duration is None or dose.dosing_weight is None:
        # Not a 404: under a patient's URL that would read as a hidden chart.
        why = "; ".join(problems.values()) or "the models are for intravenous infusions"
        raise plan_errors.NoPkPreview(f"No PK preview: {why}.", {"plan": why})
    found = preview(
        float(dose.dosing_weight.value),
        float(dose.dose.value),
        float(dose.duration.value),
        model=model,
    )
    title = f"{protocol.name}: {dose.dose} over {dose.duration} at {dose.dosing_weight}"
    return Response(
        preview_svg(found, title),
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": PLOT_CSP},
    )
