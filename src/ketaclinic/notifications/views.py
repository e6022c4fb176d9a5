"""Staff pages: the chart's message log (/patients/{id}/messages), the contact
preference form (/patients/{id}/contact-preferences) and the administrator's outbox
(/admin/outbox). The first two answer a fragment to htmx and a whole page otherwise."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.service import timezone_of
from ketaclinic.identity.principal import Principal
from ketaclinic.kit import forms
from ketaclinic.kit.errors import FieldInvalid
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, is_htmx, render
from ketaclinic.notifications import contacts, naming, outbox
from ketaclinic.notifications.deps import settings_of
from ketaclinic.notifications.models import STATUSES
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient

router = APIRouter(include_in_schema=False)
OUTBOX_PAGE_SIZE = 50


@router.get("/patients/{patient_id}/messages")
def messages_page(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id)
    lines = outbox.patient_log(db, principal, patient, settings_of(request))
    context = {
        "patient": patient,
        "lines": lines,
        "tz": timezone_of(db, patient.clinic_id),
        "channels": outbox.CHANNEL_WORDS,
        "status_words": outbox.STATUS_WORDS,
        "preference": contacts.view(db, patient),
    }
    name = "notifications/_messages.html" if is_htmx(request) else "notifications/messages.html"
    return render(request, name, context)


@router.get("/patients/{patient_id}/contact-preferences")
def preferences_page(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    found = contacts.view(db, patient)
    values = {"channel": found.channel, "sms_consent": "yes" if found.sms_allowed else ""}
    return _preferences(request, db, patient, values, {}, 200)


def _preferences(
    request: Request,
    db: DbSession,
    patient: Patient,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int,
) -> Response:
    context = {
        "patient": patient,
        "preference": contacts.view(db, patient),
        "values": values,
        "errors": errors,
        "tz": timezone_of(db, patient.clinic_id),
    }
    name = (
        "notifications/_preferences.html" if is_htmx(request) else "notifications/preferences.html"
    )
    return render(request, name, context, status_code=status_code)


@router.post("/patients/{patient_id}/contact-preferences")
def preferences_save(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = patients.get_patient(db, principal, patient_id, write=True)
    values = forms.values(form, ["channel", "sms_consent"])
    try:
        contacts.set_preference(
            db,
            principal,
            patient,
            channel=values["channel"],
            sms_consent=values["sms_consent"] == "yes",
        )
    except FieldInvalid as exc:
        return _preferences(request, db, patient, values, forms.field_errors(exc), 422)
    return RedirectResponse(f"/patients/{patient.id}/messages", status_code=303)


@router.get("/admin/outbox")
def outbox_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    status: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return _outbox(request, principal, db, status, page)


def _outbox(
    request: Request,
    principal: Principal,
    db: Session,
    status: str | None,
    page: int,
    *,
    naming_errors: dict[int, str] | None = None,
    naming_values: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    chosen = status if status in STATUSES else None
    lines, total = outbox.outbox(
        db,
        principal,
        settings_of(request),
        status=chosen,
        offset=(page - 1) * OUTBOX_PAGE_SIZE,
        limit=OUTBOX_PAGE_SIZE,
    )
    return render(
        request,
        "notifications/outbox.html",
        {
            "lines": lines,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // OUTBOX_PAGE_SIZE)),
            "status": chosen,
            "statuses": [(s, outbox.STATUS_WORDS[s]) for s in STATUSES],
            "channels": outbox.CHANNEL_WORDS,
            "namings": naming.namings(db, principal),
            "naming_errors": naming_errors or {},
            "naming_values": naming_values or {},
        },
        status_code=status_code,
    )


@router.post("/admin/outbox/clinics/{clinic_id}/message-name")
def message_name_save(
    request: Request, form: Form, clinic_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    text = forms.values(form, ["message_name"])["message_name"]
    try:
        naming.set_message_name(db, principal, clinic_id, text)
    except FieldInvalid as exc:
        db.rollback()
        return _outbox(
            request,
            principal,
            db,
            None,
            1,
            naming_errors={clinic_id: forms.field_errors(exc).get("message_name", exc.message)},
            naming_values={clinic_id: text},
            status_code=422,
        )
    return RedirectResponse("/admin/outbox", status_code=303)
