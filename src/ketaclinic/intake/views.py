"""The front desk's inquiry queue: /inquiries (pages) and /api/v1/inquiries (API)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.roles import Permission
from ketaclinic.intake import service
from ketaclinic.intake.schemas import QUESTIONS, ConvertIn, InquiryOut, StatusIn
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession, Form, render
from ketaclinic.patients.duplicates import Candidate, LikelyDuplicate

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/inquiries", tags=["intake"])
STATUS_TABS = [
    ("new", "New"),
    ("contacted", "Contacted"),
    ("converted", "Converted"),
    ("closed", "Closed"),
]
QUESTION_TEXT = {qid: (text, dict(options)) for qid, text, options in QUESTIONS}


@router.get("/inquiries")
def inquiry_queue(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    status: Annotated[str, Query(pattern="^(new|contacted|converted|closed)$")] = "new",
) -> Response:
    rows, counts = service.queue(db, principal, status=status)
    tz = request.app.state.settings.timezone
    clinic = db.get(Clinic, principal.clinics_with(Permission.PATIENT_READ)[0])
    if clinic is not None:
        tz = clinic.timezone
    context = {"rows": rows, "counts": counts, "status": status, "tabs": STATUS_TABS, "tz": tz}
    return render(request, "intake/queue.html", context)


def _detail(
    request: Request,
    db: DbSession,
    principal: CurrentPrincipal,
    inquiry_id: Id,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    candidates: list[Candidate] | None = None,
) -> Response:
    inquiry = service.get(db, principal, inquiry_id)
    answers = [
        (QUESTION_TEXT[qid][0], QUESTION_TEXT[qid][1].get(value, value))
        for qid, value in service.answers_of(inquiry).items()
        if qid in QUESTION_TEXT
    ]
    context = {
        "inquiry": inquiry,
        "answers": answers,
        "errors": errors or {},
        "values": values or {},
        "can_write": principal.can(Permission.PATIENT_WRITE, inquiry.clinic_id),
        "candidates": candidates or [],
    }
    failed = bool(errors or candidates)
    return render(request, "intake/detail.html", context, status_code=422 if failed else 200)


@router.get("/inquiries/{inquiry_id}")
def inquiry_detail(
    request: Request, inquiry_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _detail(request, db, principal, inquiry_id)


@router.post("/inquiries/{inquiry_id}/status")
def inquiry_status(
    request: Request, form: Form, inquiry_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    data, errors = forms.parse(StatusIn, forms.values(form, ("status",)))
    if data is None:
        return _detail(request, db, principal, inquiry_id, errors)
    service.set_status(db, principal, inquiry_id, data.status)
    return RedirectResponse(f"/inquiries/{inquiry_id}", status_code=303)


@router.post("/inquiries/{inquiry_id}/convert")
def inquiry_convert(
    request: Request, form: Form, inquiry_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    values = forms.values(form, ("birth_date", "sex_at_birth", "confirm_duplicate_reason"))
    data, errors = forms.parse(ConvertIn, forms.given(values))
    if data is None:
        return _detail(request, db, principal, inquiry_id, errors, values)
    try:
        patient = service.convert(
            db, principal, inquiry_id, data, duplicate_min_score=_min_score(request)
        )
    except LikelyDuplicate as exc:
        # The charts it resembles, "Open the existing chart" and "Register anyway".
        return _detail(request, db, principal, inquiry_id, {}, values, exc.candidates)
    except KetaClinicError as exc:
        errors = forms.field_errors(exc)
        return _detail(request, db, principal, inquiry_id, errors, values)
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


def _min_score(request: Request) -> int:
    score: int = request.app.state.settings.duplicate_name_min_score
    return score


# ---- API ----------------------------------------------------------------------

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Wrong role"},
    404: {"description": "No such inquiry in your clinics"},
    409: {
        "description": "Already converted (`inquiry_already_converted`), or the inquirer "
        "resembles a chart on file (`likely_duplicate`, its `candidates`): send "
        "`confirm_duplicate_reason` to register anyway"
    },
    422: {"description": "A field is invalid; `error.fields` names it"},
}


@api.get("", response_model=Page[InquiryOut], responses=ERRORS)
def list_inquiries(
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    status: Literal["new", "contacted", "converted", "closed"] | None = "new",
) -> Any:
    """Consultation requests from the public pre-screen, oldest first."""
    rows, counts = service.queue(
        db, principal, status=status, limit=paging.page_size, offset=paging.offset
    )
    total = counts.get(status, 0) if status else sum(counts.values())
    return paging.envelope([service.as_dict(r) for r in rows], total)


@api.post("/{inquiry_id}/status", response_model=InquiryOut, responses=ERRORS)
def update_inquiry(
    inquiry_id: Id, data: StatusIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    return service.as_dict(service.set_status(db, principal, inquiry_id, data.status))


@api.post("/{inquiry_id}/convert", status_code=201, responses=ERRORS)
def convert_inquiry(
    request: Request, inquiry_id: Id, data: ConvertIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Register the inquirer as a patient; returns the new patient's id. 409
    `likely_duplicate` when they resemble a chart on file: send the same body with
    `confirm_duplicate_reason` to register anyway."""
    patient = service.convert(
        db, principal, inquiry_id, data, duplicate_min_score=_min_score(request)
    )
    return {"patient_id": patient.id, "mrn": patient.mrn}
