"""The patient's questionnaires in the portal: what the plan asks before each visit
(open now, coming up, done), and answering one inside its window, once. The questions
are shown and scored exactly as on the one-time link's page (measures.public)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ketaclinic.clinical.scales import get_instrument
from ketaclinic.clinical.treatment import Protocol
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.fields import Id
from ketaclinic.kit.time import utcnow
from ketaclinic.kit.web import DbSession, Form
from ketaclinic.measures.public import FIELD_PREFIX, _answers_from, _patient_message, _questions
from ketaclinic.portal.deps import CurrentPatient, render_portal
from ketaclinic.portal.errors import PortalRecordNotFound
from ketaclinic.previsit import errors, service

router = APIRouter(include_in_schema=False)

# Done and missed questionnaires older than this many are not listed.
HISTORY = 10


def _protocols(request: Request) -> Mapping[str, Protocol] | None:
    return getattr(request.app.state, "protocols", None)


def _zone(db: DbSession, clinic_id: int) -> str:
    clinic = db.get(Clinic, clinic_id)
    return clinic.timezone if clinic is not None else "UTC"


@router.get("/portal/forms")
def forms(patient: CurrentPatient) -> Response:
    """The link a "form to fill in" message carries: its words say nothing of health
    (a lock screen shows them), so it names forms, not questionnaires. Signed-in
    patients only, like the list (others are sent to sign in)."""
    del patient
    return RedirectResponse("/portal/questionnaires", status_code=303)


@router.get("/portal/questionnaires")
def questionnaires(request: Request, db: DbSession, patient: CurrentPatient) -> Response:
    now = utcnow()
    found = service.due_for_patient(
        db, patient, patient.patient_id, now, protocols=_protocols(request)
    )
    context: dict[str, Any] = {
        "nav": "questionnaires",
        "tz": _zone(db, patient.clinic_id),
        "open": [d for d in found if d.state == "open"],
        "upcoming": [d for d in found if d.state == "upcoming"],
        "done": [d for d in found if d.state == "done"][::-1][:HISTORY],
        "missed": [d for d in found if d.state == "missed"][::-1][:HISTORY],
    }
    return render_portal(request, "previsit/list.html", patient, context, db=db)


def _assignment(
    request: Request, db: DbSession, patient: CurrentPatient, visit_id: int, instrument_id: str
) -> service.Due:
    found = service.due_for_patient(
        db, patient, patient.patient_id, protocols=_protocols(request), visit_id=visit_id
    )
    due = service.find(found, instrument_id, visit_id)
    if due is None:
        raise PortalRecordNotFound()
    return due


def _form(
    request: Request,
    db: DbSession,
    patient: CurrentPatient,
    due: service.Due,
    *,
    chosen: dict[str, int | bool] | None = None,
    errors_: dict[str, str] | None = None,
) -> Response:
    questions = _questions(due.instrument)
    problems = errors_ or {}
    context = {
        "nav": "questionnaires",
        "tz": _zone(db, patient.clinic_id),
        "due": due,
        "instrument": due.instrument,
        "questions": questions,
        "chosen": {k: int(v) for k, v in (chosen or {}).items()},
        "errors": problems,
        "missing": [q for q in questions if q.id in problems],
    }
    status = 422 if problems else 200
    return render_portal(
        request, "previsit/answer.html", patient, context, db=db, status_code=status
    )


def _closed(
    request: Request, db: DbSession, patient: CurrentPatient, due: service.Due, message: str
) -> Response:
    context = {"nav": "questionnaires", "due": due, "message": message}
    return render_portal(request, "previsit/closed.html", patient, context, db=db, status_code=409)


CLOSED = {
    "done": "You have already answered this questionnaire for that visit. Thank you.",
    "upcoming": "This questionnaire is not open yet.",
    "missed": "The time to answer this questionnaire for that visit has passed.",
}


@router.get("/portal/questionnaires/{visit_id}/{instrument_id}")
def answer_page(
    request: Request, db: DbSession, patient: CurrentPatient, visit_id: Id, instrument_id: str
) -> Response:
    due = _assignment(request, db, patient, visit_id, instrument_id)
    if due.state != "open":
        return _closed(request, db, patient, due, CLOSED[due.state])
    return _form(request, db, patient, due)


@router.post("/portal/questionnaires/{visit_id}/{instrument_id}")
def answer(
    request: Request,
    db: DbSession,
    patient: CurrentPatient,
    form: Form,
    visit_id: Id,
    instrument_id: str,
) -> Response:
    due = _assignment(request, db, patient, visit_id, instrument_id)
    answers = _answers_from(get_instrument(due.instrument.id), form)
    try:
        _row, alerts = service.complete(
            db, patient, due.instrument.id, visit_id, answers, protocols=_protocols(request)
        )
    except ValidationFailed as exc:
        problems = {
            key.removeprefix(FIELD_PREFIX): _patient_message(problem)
            for key, problem in exc.fields.items()
        }
        return _form(request, db, patient, due, chosen=answers, errors_=problems)
    except errors.AssignmentNotOpen as exc:
        return _closed(request, db, patient, due, exc.message)
    context = {"nav": "questionnaires", "due": due, "needs_crisis_resources": bool(alerts)}
    return render_portal(request, "previsit/thanks.html", patient, context, db=db)
