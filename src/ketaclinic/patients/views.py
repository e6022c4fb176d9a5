"""Staff pages for the patient registry (server-rendered, htmx-enhanced).

Every form also works as a plain HTML form; htmx only swaps the fragment.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.audit.words import action_label
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import list_clinics
from ketaclinic.consents import views as consent_views
from ketaclinic.frontdesk import chart_visits as visits
from ketaclinic.frontdesk.patient_list import search_patients
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.time import age_on, today_in
from ketaclinic.kit.web import DbSession, Form, is_htmx, render
from ketaclinic.measures import service as measures
from ketaclinic.patients import service, units
from ketaclinic.patients.duplicates import LikelyDuplicate
from ketaclinic.patients.schemas import MeasurementIn, PatientCreate, PatientUpdate
from ketaclinic.portal import service as portal
from ketaclinic.screenings import service as screenings
from ketaclinic.screenings.deps import policy_of

router = APIRouter(prefix="/patients", include_in_schema=False)
# Every page with a weight or height field shows the range in each unit.
MEASURE_HINTS = {"weight": units.hint("weight"), "height": units.hint("height")}
_BOOLEAN_FIELDS = {"is_escort", "is_emergency"}


def _form_dict(form: FormData, *, drop_empty: bool) -> dict[str, Any]:
    """The posted fields (kit.forms.values): check boxes as yes/no, and an empty field
    left out (``drop_empty``) or cleared (None)."""
    data: dict[str, Any] = {}
    for key, value in forms.values(form).items():
        if key in _BOOLEAN_FIELDS:
            data[key] = value in ("on", "true", "1")
        else:
            data[key] = value or None
    return forms.given(data) if drop_empty else data


def _parse(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    return forms.parse(model, data)


def _pages(page: int, pages: int) -> list[int | None]:
    """Page links to show: the first, the last and two either side of this one
    (None marks a gap)."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


@router.get("")
def patient_list(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(pattern="^(active|inactive|all)$")] = "active",
    sort: Annotated[str, Query(pattern="^-?(name|mrn|birth_date|next_visit)$")] = "name",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int | None, Query(ge=5, le=200)] = None,
) -> Response:
    page_size = size or request.app.state.settings.patient_page_size
    views, total = search_patients(
        db,
        principal,
        q=q or None,
        status=None if status == "all" else status,
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    pages = max(1, -(-total // page_size))
    context = {
        "views": views,
        "total": total,
        "q": q,
        "status": status,
        "sort": sort,
        "size": size,
        "page": page,
        "pages": pages,
        "page_links": _pages(page, pages),
        "zones": _zones(db, principal),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "patient-results":
        return render(request, "patients/_results.html", context)
    return render(request, "patients/list.html", context)


def _zones(db: DbSession, principal: CurrentPrincipal) -> dict[int, str]:
    """Each of the caller's clinics' time zone: a visit time is shown in the zone of
    the patient's clinic (never one clinic's zone guessed for all)."""
    clinics = (db.get(Clinic, c) for c in principal.clinics_with(Permission.PATIENT_READ))
    return {c.id: c.timezone for c in clinics if c is not None}


def _clinic_choices(db: DbSession, principal: CurrentPrincipal) -> list[tuple[int, str]]:
    allowed = set(principal.clinics_with(Permission.PATIENT_WRITE))
    return [(c.id, c.name) for c in list_clinics(db) if c.id in allowed]


@router.get("/new")
def new_patient_form(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    principal.require_any(Permission.PATIENT_WRITE)
    return render(
        request,
        "patients/form.html",
        {
            "values": {},
            "errors": {},
            "patient": None,
            "clinics": _clinic_choices(db, principal),
            "measure_hints": MEASURE_HINTS,
        },
    )


@router.post("/new")
def create_patient(
    request: Request, form: Form, principal: CurrentPrincipal, db: DbSession
) -> Response:
    principal.require_any(Permission.PATIENT_WRITE)
    values = _form_dict(form, drop_empty=True)
    data, errors = _parse(PatientCreate, values)
    candidates: list[Any] = []
    if data is not None:
        try:
            patient = service.create_patient(
                db,
                principal,
                data,
                duplicate_min_score=request.app.state.settings.duplicate_name_min_score,
            )
        except LikelyDuplicate as exc:
            candidates = exc.candidates
        except KetaClinicError as exc:
            if not exc.fields:
                raise
            errors = exc.fields
    if errors or candidates:
        return render(
            request,
            "patients/form.html",
            {
                "values": values,
                "errors": errors,
                "patient": None,
                "clinics": _clinic_choices(db, principal),
                "candidates": candidates,
                "measure_hints": MEASURE_HINTS,
            },
            # A form answers with what to fill in (the reason) as 422, as every form does.
            status_code=422,
        )
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


@router.get("/{patient_id}")
def patient_detail(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = service.open_chart(db, principal, patient_id)
    return render(request, "patients/detail.html", _detail_context(request, db, principal, patient))


def _edit_values(patient: Any) -> dict[str, Any]:
    return {name: getattr(patient, name) for name in service.DEMOGRAPHICS}


@router.get("/{patient_id}/edit")
def edit_patient_form(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = service.open_chart(db, principal, patient_id, purpose="edit")
    return render(
        request,
        "patients/form.html",
        {
            "values": _edit_values(patient),
            "errors": {},
            "patient": patient,
            "clinics": [],
            "measure_hints": MEASURE_HINTS,
        },
    )


@router.post("/{patient_id}/edit")
def edit_patient(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = service.get_patient(db, principal, patient_id, write=True)
    values = _form_dict(form, drop_empty=False)
    values.pop("clinic_id", None)
    # Blank optional fields clear them; blank weight/height mean "no new measurement".
    for name in ("weight", "height"):
        if values.get(name) is None:
            values.pop(name, None)
            values.pop(f"{name}_unit", None)
    data, errors = _parse(PatientUpdate, values)
    if errors:
        return render(
            request,
            "patients/form.html",
            {
                "values": values,
                "errors": errors,
                "patient": patient,
                "clinics": [],
                "measure_hints": MEASURE_HINTS,
            },
            status_code=422,
        )
    service.update_patient(db, principal, patient, data)
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


def _detail_context(
    request: Request, db: DbSession, principal: CurrentPrincipal, patient: Any
) -> dict[str, Any]:
    clinic = db.get(Clinic, patient.clinic_id)
    access, access_total = service.access_log(db, patient, limit=15)
    return {
        "p": service.detail(db, principal, patient),
        "access": access,
        "access_total": access_total,
        "action_label": action_label,
        "patient": patient,
        "clinic": clinic,
        "tz": clinic.timezone if clinic else "UTC",
        "age": age_on(patient.birth_date, today_in(clinic.timezone if clinic else "UTC")),
        "can_write": principal.can(Permission.PATIENT_WRITE, patient.clinic_id),
        "open_alerts": measures.patient_alerts(db, principal, patient, open_only=True),
        "screening": screenings.status(db, principal, patient, policy_of(request)),
        "visits": visits.of_patient(db, patient.id, patient.clinic_id),
        "consents": consent_views.chart_context(request, db, principal, patient),
        "portal_account": portal.account_of(db, principal, patient.id),
        "errors": {},
        "values": {},
        "measure_hints": MEASURE_HINTS,
    }


def _detail_with_errors(
    request: Request,
    db: DbSession,
    principal: CurrentPrincipal,
    patient: Any,
    section: str,
    errors: dict[str, str],
    values: dict[str, Any],
) -> Response:
    context = _detail_context(request, db, principal, patient)
    context.update(errors={section: errors}, values={section: values})
    return render(request, "patients/detail.html", context, status_code=422)


@router.post("/{patient_id}/portal-invitation")
def invite_to_portal(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """An email with a one-time link where the patient sets up their portal account."""
    patient = service.get_patient(db, principal, patient_id, write=True)
    try:
        portal.invite(db, principal, patient.id)
    except KetaClinicError as exc:
        errors = forms.field_errors(exc)
        return _detail_with_errors(request, db, principal, patient, "portal", errors, {})
    return RedirectResponse(f"/patients/{patient.id}#portal", status_code=303)


@router.post("/{patient_id}/portal-account/disable")
def disable_portal(patient_id: Id, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The patient's portal sessions and links stop working at once."""
    portal.disable(db, principal, patient_id)
    return RedirectResponse(f"/patients/{patient_id}#portal", status_code=303)


@router.post("/{patient_id}/measurements")
def add_measurement(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    patient = service.get_patient(db, principal, patient_id, write=True)
    values = _form_dict(form, drop_empty=True)
    data, errors = _parse(MeasurementIn, values)
    if errors:
        return _detail_with_errors(request, db, principal, patient, "measurements", errors, values)
    service.record_measurement(db, principal, patient, data)
    return RedirectResponse(f"/patients/{patient.id}#measurements", status_code=303)


def _set_active(
    form: FormData,
    patient_id: int,
    kind: str,
    item_id: int,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = service.get_patient(db, principal, patient_id, write=True)
    service.set_item_active(db, principal, patient, kind, item_id, forms.checked(form, "active"))
    return RedirectResponse(f"/patients/{patient.id}#{kind}", status_code=303)


def _add(
    request: Request,
    values: dict[str, Any],
    patient_id: int,
    kind: str,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    patient = service.get_patient(db, principal, patient_id, write=True)
    data, errors = _parse(service.CHILD_INPUTS[kind], values)
    if errors:
        return _detail_with_errors(request, db, principal, patient, kind, errors, values)
    service.add_item(db, principal, patient, kind, data)
    return RedirectResponse(f"/patients/{patient.id}#{kind}", status_code=303)


@router.post("/{patient_id}/contacts")
def add_contact(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = _form_dict(form, drop_empty=True)
    values.setdefault("is_escort", False)  # an unticked checkbox sends nothing
    values.setdefault("is_emergency", False)
    return _add(request, values, patient_id, "contacts", principal, db)


@router.post("/{patient_id}/diagnoses")
def add_diagnosis(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = _form_dict(form, drop_empty=True)
    return _add(request, values, patient_id, "diagnoses", principal, db)


@router.post("/{patient_id}/medications")
def add_medication(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = _form_dict(form, drop_empty=True)
    return _add(request, values, patient_id, "medications", principal, db)


@router.post("/{patient_id}/allergies")
def add_allergy(
    request: Request, form: Form, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = _form_dict(form, drop_empty=True)
    return _add(request, values, patient_id, "allergies", principal, db)


@router.post("/{patient_id}/contacts/{item_id}/active")
def set_contact_active(
    form: Form, patient_id: Id, item_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _set_active(form, patient_id, "contacts", item_id, principal, db)


@router.post("/{patient_id}/diagnoses/{item_id}/active")
def set_diagnosis_active(
    form: Form, patient_id: Id, item_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _set_active(form, patient_id, "diagnoses", item_id, principal, db)


@router.post("/{patient_id}/medications/{item_id}/active")
def set_medication_active(
    form: Form, patient_id: Id, item_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _set_active(form, patient_id, "medications", item_id, principal, db)


@router.post("/{patient_id}/allergies/{item_id}/active")
def set_allergy_active(
    form: Form, patient_id: Id, item_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _set_active(form, patient_id, "allergies", item_id, principal, db)
