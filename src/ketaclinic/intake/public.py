"""The public consultation request: /consult/{clinic_slug}. No account, no scripts,
rate-limited per address in the database, so every server process counts the same
hits (kit.ratelimit; only a keyed hash of the address is stored)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from ketaclinic.auth.deps import origin_of
from ketaclinic.clinics.models import Clinic
from ketaclinic.intake import service
from ketaclinic.intake.schemas import QUESTIONS, InquiryIn
from ketaclinic.kit import forms, ratelimit
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.web import DbSession, Form, render

router = APIRouter(include_in_schema=False)
HONEYPOT = "website"  # hidden from people; bots fill every field
_FIELDS = ("given_name", "family_name", "phone", "email", "preferred_times")


SCOPE = "consult"


def _allowed(request: Request, db: DbSession) -> bool:
    """One more request from this address; False when it is over the clinic's rate."""
    address = request.client.host if request.client else "unknown"
    state = request.app.state
    rate = ratelimit.Rate.parse(state.settings.inquiry_rate_limit)
    return ratelimit.hit(db, rate, SCOPE, ratelimit.key_of(state.secret_key, SCOPE, address))


def _clinic(db: DbSession, slug: str) -> Clinic | None:
    set_visible_clinics(db, "*")  # public, system work: which clinic is being asked
    return db.scalar(select(Clinic).where(Clinic.slug == slug[:40]))


def _page(
    request: Request, clinic: Clinic, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    context = {
        "clinic": clinic,
        "questions": QUESTIONS,
        "values": values,
        "errors": errors,
        "honeypot": HONEYPOT,
    }
    return render(request, "intake/consult.html", context, status_code=status)


def _missing(request: Request) -> Response:
    return render(request, "intake/consult_missing.html", {}, status_code=404)


@router.get("/consult/{clinic_slug}")
def consult_form(request: Request, clinic_slug: str, db: DbSession) -> Response:
    clinic = _clinic(db, clinic_slug)
    if clinic is None:
        return _missing(request)
    return _page(request, clinic, {"answers": {}}, {}, 200)


@router.post("/consult/{clinic_slug}")
def consult_submit(request: Request, clinic_slug: str, db: DbSession, form: Form) -> Response:
    clinic = _clinic(db, clinic_slug)
    if clinic is None:
        return _missing(request)
    if not _allowed(request, db):
        return render(request, "intake/consult_slow_down.html", {"clinic": clinic}, status_code=429)
    if forms.text(form, HONEYPOT):
        # A bot: thank it and keep nothing.
        return render(request, "intake/consult_thanks.html", {"clinic": clinic})
    values: dict[str, Any] = forms.values(form, _FIELDS)
    values["answers"] = {
        qid: str(form.get(f"q_{qid}")) for qid, _, _ in QUESTIONS if form.get(f"q_{qid}")
    }
    values["consent_to_contact"] = form.get("consent_to_contact") == "yes"
    # Blank optional fields are absent, not empty strings to validate.
    given = {k: v for k, v in values.items() if v != "" or k == "preferred_times"}
    data, errors = forms.parse(InquiryIn, given)
    if data is None:
        return _page(request, clinic, values, errors, 422)
    try:
        service.submit(db, clinic, data, origin_of(request, "web"))
    except ValidationFailed as exc:
        return _page(request, clinic, values, dict(exc.fields), 422)
    return render(request, "intake/consult_thanks.html", {"clinic": clinic})
