"""The prescriber's separately identifiable evaluation of a visit (E/M 99212-99215,
billed with modifier 25): a page with the form, re-shown with the messages beside
the fields when a field is refused (422)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing.errors import EvaluationNoteRequired
from ketaclinic.billing.service import charges
from ketaclinic.billing.service.evaluation import LEVELS, evaluation_page
from ketaclinic.clinics.service import timezone_of
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, render

router = APIRouter(include_in_schema=False)
NOTE_MAX = 4000  # as the API's EvaluationIn


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    session_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = evaluation_page(db, principal, session_id)
    return render(
        request,
        "billing/evaluation.html",
        {
            "e": found,
            "levels": list(LEVELS.items()),
            "errors": errors or {},
            "values": values or {},
            "saved": request.query_params.get("saved", ""),
            "can_bill": principal.can(Permission.BILLING, found.session.clinic_id),
            "note_max": NOTE_MAX,
            "tz": timezone_of(db, found.session.clinic_id),
        },
        status_code=status_code,
    )


@router.get("/billing/visits/{session_id}/evaluation")
def evaluation_form(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _page(request, db, principal, session_id)


@router.post("/billing/visits/{session_id}/evaluation")
def evaluation_save(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession, form: Form
) -> Response:
    code, note = forms.text(form, "code"), forms.text(form, "note")
    values = {"code": code, "note": note}
    try:
        problems: dict[str, str] = {}
        if len(note) > NOTE_MAX:
            problems["note"] = f"at most {NOTE_MAX} characters"
        if code not in LEVELS:
            problems["code"] = "choose one of 99212, 99213, 99214, 99215"
        if len(note.strip()) < 10:
            problems.setdefault("note", EvaluationNoteRequired.default_message)
        if problems:
            raise ValidationFailed("Please correct the evaluation.", problems)
        charges.document_evaluation(db, principal, session_id, code, note)
    except ValidationFailed as exc:
        db.rollback()
        return _page(
            request, db, principal, session_id, errors=exc.fields, values=values, status_code=422
        )
    return RedirectResponse(f"/billing/visits/{session_id}/evaluation?saved=1", status_code=303)
