"""Staff pages: the patient's course (/patients/{id}/course) and the prescriber's
booster decisions (accept: on to a plan revision; dismiss: with a reason). The
dashboard's "Booster suggested" card is ``boosters_card`` (measures.views shows it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinical.scales import UnknownInstrumentError, get_instrument
from ketaclinic.clinics.service import timezone_of
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit import forms
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form, render
from ketaclinic.outcomes import errors, service, timeline
from ketaclinic.outcomes.deps import policy_of

router = APIRouter(include_in_schema=False)

KIND_WORDS = {"induction": "Induction", "maintenance": "Maintenance", "booster": "Booster"}


def _max_total(instrument_id: str) -> int:
    try:
        return get_instrument(instrument_id).max_total
    except UnknownInstrumentError:
        return 0


def _durability_words(found: service.PatientCourse) -> list[str]:
    words = []
    for i in found.course.instruments:
        name = service.instrument_name(i.instrument_id)
        d = i.durability
        if d is None:
            continue
        days = round(d.days)
        if d.censored:
            words.append(
                f"{name}: still responding {days} days after the end of the induction "
                "(at the last score)."
            )
        else:
            words.append(f"{name}: response lost after {days} days.")
    return words


def boosters_card(request: Request, db: Session, principal: Principal) -> dict[str, Any]:
    """The dashboard card's context: shown to roles that decide on boosters."""
    if not principal.clinics_with(Permission.PLAN_SIGN):
        return {"show_boosters": False, "boosters": []}
    rows = service.pending(db, principal)
    zones: dict[int, str] = {}
    found = [
        {
            "suggestion": s,
            "patient": p,
            "summary": service.describe(
                s, zones.setdefault(p.clinic_id, timezone_of(db, p.clinic_id))
            ),
        }
        for s, p in rows
    ]
    return {"show_boosters": True, "boosters": found}


@router.get("/patients/{patient_id}/course")
def course_page(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    found = service.patient_course(db, principal, patient_id, policy_of(request))
    drawn = None
    for i in found.course.instruments:
        if found.scores.get(i.instrument_id):
            drawn = timeline.build(
                found.course, i, found.scores[i.instrument_id], _max_total(i.instrument_id)
            )
            break
    undecided = [s for s, d in found.suggestions if d is None]
    return render(
        request,
        "outcomes/course.html",
        {
            "patient": found.patient,
            "tz": found.zone,
            "found": found,
            "course": found.course,
            "names": {
                i.instrument_id: service.instrument_name(i.instrument_id)
                for i in found.course.instruments
            },
            "durability": _durability_words(found),
            "timeline": drawn,
            "kind_words": KIND_WORDS,
            "undecided": [(s, service.describe(s, found.zone)) for s in undecided],
            "decided": [(s, d, service.describe(s, found.zone)) for s, d in found.suggestions if d],
            "can_decide": principal.can(Permission.PLAN_SIGN, found.patient.clinic_id),
        },
    )


@router.post("/booster-suggestions/{suggestion_id}/accept")
def accept(
    request: Request, suggestion_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """Recorded with a new version of the current plan adding the booster sessions; on
    to its booking page (which says it is signed first). Without a plan to revise, on
    to a new plan on the booster protocol."""
    accepted = service.accept(db, principal, suggestion_id, policy_of(request))
    return RedirectResponse(accepted.next_url, status_code=303)


@router.post("/booster-suggestions/{suggestion_id}/dismiss")
def dismiss(
    request: Request,
    form: Form,
    suggestion_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    reason = forms.text(form, "reason")
    back = "course" if forms.text(form, "back") == "course" else "dashboard"
    try:
        _made, patient = service.dismiss(db, principal, suggestion_id, reason)
    except errors.DismissReasonRequired as exc:
        return _dismiss_again(request, db, principal, suggestion_id, forms.field_errors(exc), back)
    except KetaClinicError:
        raise
    target = f"/patients/{patient.id}/course" if back == "course" else "/dashboard"
    return RedirectResponse(target, status_code=303)


def _dismiss_again(
    request: Request,
    db: Session,
    principal: Principal,
    suggestion_id: int,
    field_errors: dict[str, str],
    back: str,
) -> Response:
    """The dismissal form again with its message (422), the evidence beside it."""
    suggestion, patient = service.suggestion(db, principal, suggestion_id)
    return render(
        request,
        "outcomes/dismiss.html",
        {
            "suggestion": suggestion,
            "patient": patient,
            "summary": service.describe(suggestion, timezone_of(db, patient.clinic_id)),
            "errors": field_errors,
            "back": back,
        },
        status_code=422,
    )
