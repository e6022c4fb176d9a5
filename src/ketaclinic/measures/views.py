"""Staff pages for measurement-based care: the clinic dashboard of open safety
alerts, a patient's measures page (outcomes, trajectory plots, alerts), entering
a questionnaire on a patient's behalf, recording treatments and sending a patient
a one-time link.

Every form is a plain HTML form (htmx only boosts it); errors re-render the page
with status 422 and the message beside the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.auth import service as auth_service
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinical.scales import Instrument, UnknownInstrumentError, get_instrument
from ketaclinic.clinics.service import list_clinics, timezone_of
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError, fields_from_pydantic
from ketaclinic.kit.fields import Id
from ketaclinic.kit.time import to_local
from ketaclinic.kit.web import DbSession, Form, render
from ketaclinic.measures import errors, service
from ketaclinic.measures.deps import instrument_out, rules_of
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.measures.plot import trajectory_svg
from ketaclinic.measures.schemas import LinkIn, ResponseIn, TreatmentIn
from ketaclinic.outcomes import views as outcomes_views
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.treatments.models import MODALITIES

router = APIRouter(include_in_schema=False)

MODALITY_LABELS = {
    "iv_ketamine": "IV ketamine",
    "im_ketamine": "IM ketamine",
    "sl_ketamine": "Sublingual ketamine",
    "esketamine_nasal": "Esketamine nasal spray",
}
# The plot is loaded as an <img>: scripts never run there, and matplotlib's SVG
# carries one inline <style>. Nothing else may load.
PLOT_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _tz(db: Session, patient: Patient) -> str:
    return timezone_of(db, patient.clinic_id)


def _instrument(instrument_id: str) -> Instrument:
    try:
        return get_instrument(instrument_id)
    except UnknownInstrumentError:
        raise errors.QuestionnaireNotFound(f"No questionnaire {instrument_id!r}.") from None


def _local_input(value: str, tz: str, field: str) -> datetime:
    """A ``datetime-local`` value, meant in the clinic's zone, as an aware datetime."""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise _field_error(field, "enter a date and time") from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=ZoneInfo(tz))


class _FieldError(Exception):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields)
        self.fields = fields


def _field_error(field: str, message: str) -> _FieldError:
    return _FieldError({field: message})


# ---- the clinic dashboard -----------------------------------------------------


@router.get("/dashboard")
def dashboard(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    """Every open safety alert in the caller's clinics, newest first."""
    found = service.open_alerts(db, principal)
    zones = {c.id: c.timezone for c in list_clinics(db)}
    rows = [
        {"alert": alert, "patient": patient, "tz": zones.get(patient.clinic_id, "UTC")}
        for alert, patient in found
    ]
    return render(
        request,
        "measures/dashboard.html",
        {"rows": rows, **outcomes_views.boosters_card(request, db, principal)},
    )


# ---- a patient's measures page ------------------------------------------------


def _measures_context(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    tz = _tz(db, patient)
    alerts = service.patient_alerts(db, principal, patient)
    rows = service.responses(db, principal, patient)
    by_instrument: dict[str, list[QuestionnaireResponse]] = {}
    for row in rows:
        by_instrument.setdefault(row.instrument_id, []).append(row)
    summaries = service.outcome_summaries(db, principal, patient, rules_of(request))
    instruments = service.instruments()
    saved_id = request.query_params.get("saved", "")
    saved = next((r for r in rows if str(r.id) == saved_id), None)
    return {
        "patient": patient,
        "tz": tz,
        "open_alerts": [a for a in alerts if a.acknowledged_at is None],
        "closed_alerts": [a for a in alerts if a.acknowledged_at is not None],
        "names": auth_service.user_names(db, {a.acknowledged_by_id for a in alerts}),
        "summaries": [
            {
                **s,
                "instrument": get_instrument(s["instrument_id"]),
                "rows": by_instrument.get(s["instrument_id"], []),
            }
            for s in summaries
        ],
        "treatments": service.treatments(db, principal, patient),
        "instruments": instruments,
        "link_choices": [(i.id, i.name) for i in instruments if i.completed_by == "self"],
        "modalities": [(m, MODALITY_LABELS[m]) for m in MODALITIES],
        "modality_labels": MODALITY_LABELS,
        "saved": saved,
        "saved_name": get_instrument(saved.instrument_id).name if saved else "",
        "can_write": principal.can(Permission.PATIENT_WRITE, patient.clinic_id),
        "can_acknowledge": principal.can(Permission.ALERT_ACKNOWLEDGE, patient.clinic_id),
        "errors": errors or {},
        "values": values or {},
    }


def _rerender(
    request: Request,
    db: Session,
    principal: Principal,
    patient: Patient,
    section: str,
    errors: dict[str, str],
    values: dict[str, Any],
) -> Response:
    context = _measures_context(
        request, db, principal, patient, errors={section: errors}, values={section: values}
    )
    return render(request, "measures/patient.html", context, status_code=422)


@router.get("/patients/{patient_id}/measures")
def measures_page(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.open_chart(db, principal, patient_id, purpose="measures")
    return render(
        request, "measures/patient.html", _measures_context(request, db, principal, patient)
    )


@router.get("/patients/{patient_id}/measures/{instrument_id}/plot.svg")
def plot(
    patient_id: Id, instrument_id: str, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.open_chart(db, principal, patient_id, purpose="plot")
    inst = _instrument(instrument_id)
    points = [(r.completed_at, r.total) for r in service.responses(db, principal, patient, inst.id)]
    given = [t.given_at for t in service.treatments(db, principal, patient)]
    svg = trajectory_svg(inst, points, given, _tz(db, patient))
    return Response(svg, media_type="image/svg+xml", headers={"Content-Security-Policy": PLOT_CSP})


# ---- entering a questionnaire -------------------------------------------------


def _entry_context(
    db: Session,
    patient: Patient,
    inst: Instrument,
    values: dict[str, str],
    errors: dict[str, str],
) -> dict[str, Any]:
    skippable = {item_id for rule in inst.skip_rules for item_id in rule.skip}
    return {
        "patient": patient,
        "instrument": inst,
        "spec": instrument_out(inst),
        # Items that may be left blank get an explicit "not asked" choice, since a
        # radio group cannot be cleared once chosen.
        "skippable": skippable,
        "values": values,
        "errors": errors,
        "tz": _tz(db, patient),
    }


@router.get("/patients/{patient_id}/measures/{instrument_id}/new")
def entry_form(
    request: Request,
    patient_id: Id,
    instrument_id: str,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    inst = _instrument(instrument_id)
    values = {"completed_by": "staff"}
    return render(request, "measures/entry.html", _entry_context(db, patient, inst, values, {}))


def _answers(inst: Instrument, form: FormData) -> tuple[dict[str, int | bool], dict[str, str]]:
    answers: dict[str, int | bool] = {}
    errors: dict[str, str] = {}
    for item in inst.items:
        raw = forms.text(form, f"answers.{item.id}")
        if not raw:
            continue  # left blank: scoring says whether that is allowed
        if not raw.isdigit():
            errors[f"answers.{item.id}"] = "choose one of the answers"
        else:
            answers[item.id] = inst.answer_from_choice(int(raw))
    return answers, errors


@router.post("/patients/{patient_id}/measures/{instrument_id}/new")
def enter_response(
    request: Request,
    form: Form,
    patient_id: Id,
    instrument_id: str,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    inst = _instrument(instrument_id)
    tz = _tz(db, patient)
    values = {key: forms.text(form, key) for key in form if key != "csrf_token"}
    answers, errors = _answers(inst, form)
    try:
        completed_raw = values.get("completed_at", "")
        completed_at = _local_input(completed_raw, tz, "completed_at") if completed_raw else None
        data = ResponseIn(
            instrument_id=inst.id,
            answers=answers,
            completed_at=completed_at,
            completed_by=values.get("completed_by") or "staff",
        )
    except _FieldError as exc:
        errors.update(exc.fields)
    except ValidationError as exc:
        errors.update(fields_from_pydantic(exc.errors()))
    if not errors:
        try:
            row, _ = service.record_response(db, principal, patient, data)
        except KetaClinicError as exc:
            errors = forms.field_errors(exc)
    if errors:
        context = _entry_context(db, patient, inst, values, errors)
        return render(request, "measures/entry.html", context, status_code=422)
    return RedirectResponse(f"/patients/{patient.id}/measures?saved={row.id}", status_code=303)


# ---- alerts, treatments, links --------------------------------------------------


@router.post("/patients/{patient_id}/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    request: Request,
    form: Form,
    patient_id: Id,
    alert_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    note = forms.text(form, "note")
    try:
        service.acknowledge(db, principal, patient, alert_id, note)
    except KetaClinicError as exc:
        errors = forms.field_errors(exc)
        return _rerender(
            request, db, principal, patient, f"alert-{alert_id}", errors, {"note": note}
        )
    return RedirectResponse(f"/patients/{patient.id}/measures#alerts", status_code=303)


@router.post("/patients/{patient_id}/treatments")
def record_treatment(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    values = {"given_at": forms.text(form, "given_at"), "modality": forms.text(form, "modality")}
    errors: dict[str, str] = {}
    try:
        if not values["given_at"]:
            raise _field_error("given_at", "enter when the treatment was given")
        data = TreatmentIn(
            given_at=_local_input(values["given_at"], _tz(db, patient), "given_at"),
            modality=values["modality"],
        )
        service.record_treatment(db, principal, patient, data)
    except _FieldError as exc:
        errors = exc.fields
    except ValidationError as exc:
        errors = fields_from_pydantic(exc.errors())
    except KetaClinicError as exc:
        errors = forms.field_errors(exc)
    if errors:
        return _rerender(request, db, principal, patient, "treatment", errors, values)
    return RedirectResponse(f"/patients/{patient.id}/measures#treatments", status_code=303)


@router.post("/patients/{patient_id}/questionnaire-links")
def create_link(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """The URL holds the only copy of the token: it is shown on this response, once."""
    patient = patients.get_patient(db, principal, patient_id, write=True)
    values = {"instrument_id": forms.text(form, "instrument_id")}
    hours = request.app.state.settings.questionnaire_link_hours
    data, errors = forms.parse(LinkIn, {**values, "valid_hours": hours})
    if data is None:
        return _rerender(request, db, principal, patient, "link", errors, values)
    try:
        link, token = service.create_link(db, principal, patient, data.instrument_id, hours)
    except KetaClinicError as exc:
        errors = forms.field_errors(exc)
        return _rerender(request, db, principal, patient, "link", errors, values)
    tz = _tz(db, patient)
    context = {
        "patient": patient,
        "instrument": get_instrument(link.instrument_id),
        "url": str(request.base_url).rstrip("/") + f"/q/{token}",
        "expires_local": to_local(link.expires_at, tz),
        "tz": tz,
    }
    return render(request, "measures/link.html", context)
