"""JSON API for the patient registry: /api/v1/patients."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.frontdesk.patient_list import search_patients
from ketaclinic.kit.fields import Id, IsoDate
from ketaclinic.kit.pagination import Paging
from ketaclinic.kit.web import DbSession, UnitOfWorkRoute
from ketaclinic.patients import service
from ketaclinic.patients.duplicates import LikelyDuplicate
from ketaclinic.patients.schemas import (
    AccessLogPage,
    AllergyIn,
    AllergyOut,
    ContactIn,
    ContactOut,
    DiagnosisIn,
    DiagnosisOut,
    ItemActive,
    MeasurementIn,
    MeasurementOut,
    MedicationIn,
    MedicationOut,
    PatientCreate,
    PatientDetail,
    PatientPage,
    PatientUpdate,
)

router = APIRouter(prefix="/api/v1/patients", tags=["patients"], route_class=UnitOfWorkRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Wrong role or another clinic"},
    404: {"description": "No such patient"},
    422: {"description": "A field is invalid; `error.fields` names it"},
}
_DETAIL = TypeAdapter(PatientDetail)
_PAGE = TypeAdapter(PatientPage)


def _json(adapter: TypeAdapter[Any], data: Any) -> Response:
    """What FastAPI makes of ``response_model`` (validate, then pydantic's JSON), done
    here on the threadpool the handler already runs on: FastAPI validates a sync
    handler's result on a second trip to the threadpool."""
    value = adapter.validate_python(data, from_attributes=True)
    return Response(adapter.dump_json(value, by_alias=True), media_type="application/json")


CREATE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {
        "description": "`likely_duplicate`: the patient may already be registered; "
        "`error.candidates` lists the charts (id, MRN, names, birth date, reasons). Send "
        "again with `confirm_duplicate_reason` to register anyway."
    },
}
Sort = Literal[
    "name", "-name", "mrn", "-mrn", "birth_date", "-birth_date", "next_visit", "-next_visit"
]


@router.post("", status_code=201, response_model=PatientDetail, responses=CREATE_ERRORS)
def create_patient(
    request: Request, data: PatientCreate, principal: CurrentPrincipal, db: DbSession
) -> Any:
    try:
        patient = service.create_patient(
            db,
            principal,
            data,
            duplicate_min_score=request.app.state.settings.duplicate_name_min_score,
        )
    except LikelyDuplicate as exc:
        # Answered here, not raised: the request then commits the audit of the
        # charts the warning shows (nothing else was written).
        return JSONResponse(exc.to_body(), status_code=exc.status_code)
    return service.detail(db, principal, patient)


@router.get("", response_model=PatientPage, responses=ERRORS)
def list_patients(
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Name words, MRN, a birth date (1984-03-21, 03/21/1984, "
            "21 March 1984) or a phone number in any punctuation",
        ),
    ] = None,
    birth_date: IsoDate | None = None,
    status: Literal["active", "inactive"] | None = None,
    sort: Annotated[
        Sort, Query(description="Column to sort by; a leading `-` sorts descending")
    ] = "name",
) -> Any:
    views, total = search_patients(
        db,
        principal,
        q=q,
        birth_date=birth_date,
        status=status,
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
        offset=paging.offset,
        limit=paging.page_size,
    )
    return _json(_PAGE, paging.envelope([v.as_dict() for v in views], total))


@router.get("/{patient_id}", response_model=PatientDetail, responses=ERRORS)
def get_patient(patient_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    return _json(_DETAIL, service.read_chart(db, principal, patient_id))


@router.get("/{patient_id}/access-log", response_model=AccessLogPage, responses=ERRORS)
def access_log(
    patient_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
) -> Any:
    """Who opened or changed this patient's chart, newest first."""
    patient = service.open_chart(db, principal, patient_id, purpose="access_log")
    events, total = service.access_log(db, patient, limit=paging.page_size, offset=paging.offset)
    return paging.envelope(events, total)


@router.patch("/{patient_id}", response_model=PatientDetail, responses=ERRORS)
def update_patient(
    patient_id: Id, data: PatientUpdate, principal: CurrentPrincipal, db: DbSession
) -> Any:
    patient = service.get_patient(db, principal, patient_id, write=True)
    service.update_patient(db, principal, patient, data)
    return service.detail(db, principal, patient)


@router.post(
    "/{patient_id}/measurements", status_code=201, response_model=MeasurementOut, responses=ERRORS
)
def add_measurement(
    patient_id: Id, data: MeasurementIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    patient = service.get_patient(db, principal, patient_id, write=True)
    return service.record_measurement(db, principal, patient, data)


# ---- the chart's lists: contacts, diagnoses, medications, allergies ----------------------
# One route per list and action; entries are never deleted, only marked inactive.


def _add_item(
    db: DbSession, principal: CurrentPrincipal, patient_id: int, kind: str, data: Any
) -> Any:
    patient = service.get_patient(db, principal, patient_id, write=True)
    return service.add_item(db, principal, patient, kind, data)


def _set_active(
    db: DbSession,
    principal: CurrentPrincipal,
    patient_id: int,
    kind: str,
    item_id: int,
    data: ItemActive,
) -> Any:
    patient = service.get_patient(db, principal, patient_id, write=True)
    return service.set_item_active(db, principal, patient, kind, item_id, data.active)


@router.post("/{patient_id}/contacts", status_code=201, response_model=ContactOut, responses=ERRORS)
def add_contact(patient_id: Id, data: ContactIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """A contact of the patient's (escort, emergency contact); audited."""
    return _add_item(db, principal, patient_id, "contacts", data)


@router.post(
    "/{patient_id}/diagnoses", status_code=201, response_model=DiagnosisOut, responses=ERRORS
)
def add_diagnosis(
    patient_id: Id, data: DiagnosisIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """A diagnosis on the patient's chart; audited."""
    return _add_item(db, principal, patient_id, "diagnoses", data)


@router.post(
    "/{patient_id}/medications", status_code=201, response_model=MedicationOut, responses=ERRORS
)
def add_medication(
    patient_id: Id, data: MedicationIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """A medication the patient takes; audited."""
    return _add_item(db, principal, patient_id, "medications", data)


@router.post(
    "/{patient_id}/allergies", status_code=201, response_model=AllergyOut, responses=ERRORS
)
def add_allergy(patient_id: Id, data: AllergyIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """An allergy of the patient's; audited."""
    return _add_item(db, principal, patient_id, "allergies", data)


@router.patch("/{patient_id}/contacts/{item_id}", response_model=ContactOut, responses=ERRORS)
def set_contact_active(
    patient_id: Id, item_id: Id, data: ItemActive, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Mark a contact active or inactive; audited."""
    return _set_active(db, principal, patient_id, "contacts", item_id, data)


@router.patch("/{patient_id}/diagnoses/{item_id}", response_model=DiagnosisOut, responses=ERRORS)
def set_diagnosis_active(
    patient_id: Id, item_id: Id, data: ItemActive, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Mark a diagnosis active or resolved; audited."""
    return _set_active(db, principal, patient_id, "diagnoses", item_id, data)


@router.patch("/{patient_id}/medications/{item_id}", response_model=MedicationOut, responses=ERRORS)
def set_medication_active(
    patient_id: Id, item_id: Id, data: ItemActive, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Mark a medication taken or stopped; audited."""
    return _set_active(db, principal, patient_id, "medications", item_id, data)


@router.patch("/{patient_id}/allergies/{item_id}", response_model=AllergyOut, responses=ERRORS)
def set_allergy_active(
    patient_id: Id, item_id: Id, data: ItemActive, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Mark an allergy active or inactive; audited."""
    return _set_active(db, principal, patient_id, "allergies", item_id, data)
