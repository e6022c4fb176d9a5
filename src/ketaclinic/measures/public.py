"""The page a patient opens from a one-time link: one questionnaire, no account.

The token in the URL is the credential, so these routes are PUBLIC (no session, no
CSRF token: nothing a cross-site form could ride on) and run as system work on
PostgreSQL's row-level security. The patient sees their given name and the
questions, never a score; a suicide-risk answer shows crisis resources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.auth.deps import origin_of
from ketaclinic.clinical.scales import Instrument, get_instrument
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.web import DbSession, Form, render
from ketaclinic.measures import service
from ketaclinic.patients.models import Patient

router = APIRouter(include_in_schema=False)

FIELD_PREFIX = "answers."


@dataclass(frozen=True)
class Question:
    """One item as the page shows it (numbered from 1, options in display order)."""

    number: int
    id: str
    text: str
    options: tuple[tuple[int, str], ...]
    required: bool
    skip_hint: str | None


def _questions(inst: Instrument) -> list[Question]:
    numbers = {item.id: n for n, item in enumerate(inst.items, start=1)}
    # Without JavaScript every question is on the page; say in words which ones to
    # leave blank (the C-SSRS skip logic) rather than hiding them.
    hints: dict[str, str] = {}
    for rule in inst.skip_rules:
        label = inst.item(rule.if_item).options[rule.equals].label
        for item_id in rule.skip:
            hints[item_id] = (
                f'Leave blank if you answered "{label}" to question {numbers[rule.if_item]}.'
            )
    return [
        Question(
            number=numbers[item.id],
            id=item.id,
            text=item.text,
            options=inst.choices(item),
            required=item.required and item.id not in hints,
            skip_hint=hints.get(item.id),
        )
        for item in inst.items
    ]


def _answers_from(inst: Instrument, form: FormData) -> dict[str, int | bool]:
    """Radio values as the scorer expects them: int, or bool for yes/no items.

    Only the instrument's own items are read; a value that is not a number is left
    out, so the scorer names the item as unanswered."""
    answers: dict[str, int | bool] = {}
    for item in inst.items:
        raw = form.get(item.id)
        if not isinstance(raw, str) or not raw.strip().lstrip("-").isdigit():
            continue
        answers[item.id] = inst.answer_from_choice(int(raw))
    return answers


def _patient_message(problem: str) -> str:
    """The scorer's messages are written for staff and developers."""
    if problem == "missing answer":
        return "Please choose an answer."
    if problem.startswith("must be left blank"):
        return "Please leave this one blank (see the note above)."
    return "Please choose one of the answers shown."


def _unusable(request: Request, exc: service.LinkUnusable) -> Response:
    # An unknown token is "not found"; a used or expired one existed and is gone.
    context = {"reason": exc.reason}
    return _page(request, "measures/public_unusable.html", context, exc.status_code)


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    response = render(request, name, context, status_code=status_code)
    # The token is in the URL: never send it to another site (the <meta> says so too).
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _form_page(
    request: Request,
    inst: Instrument,
    patient: Patient,
    *,
    chosen: dict[str, int | bool] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    questions = _questions(inst)
    errors = errors or {}
    context = {
        "instrument": inst,
        "given_name": patient.given_name,
        "questions": questions,
        "chosen": {k: int(v) for k, v in (chosen or {}).items()},
        "errors": errors,
        "missing": [q for q in questions if q.id in errors],
    }
    return _page(request, "measures/public_form.html", context, 422 if errors else 200)


@router.get("/q/{token}")
def questionnaire(request: Request, token: str, db: DbSession) -> Response:
    set_visible_clinics(db, "*")  # system work: the token, not a staff user, is the key
    try:
        link, patient = service.open_link(db, token, origin_of(request, "web"))
    except service.LinkUnusable as exc:
        return _unusable(request, exc)
    return _form_page(request, get_instrument(link.instrument_id), patient)


@router.post("/q/{token}")
def submit(request: Request, token: str, db: DbSession, form: Form) -> Response:
    set_visible_clinics(db, "*")
    try:
        link, patient = service.open_link(db, token)
    except service.LinkUnusable as exc:
        return _unusable(request, exc)
    inst = get_instrument(link.instrument_id)
    answers = _answers_from(inst, form)
    try:
        _, alerts = service.complete_link(
            db,
            token,
            answers,
            origin_of(request, "web"),
        )
    except ValidationFailed as exc:
        # Scoring failed before anything was written; the request still commits, harmlessly.
        errors = {
            key.removeprefix(FIELD_PREFIX): _patient_message(problem)
            for key, problem in exc.fields.items()
        }
        return _form_page(request, inst, patient, chosen=answers, errors=errors)
    except service.LinkUnusable as exc:  # used by a second tab in the meantime
        return _unusable(request, exc)
    return _page(
        request,
        "measures/public_thanks.html",
        {"needs_crisis_resources": bool(alerts)},
    )
