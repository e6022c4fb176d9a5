"""One handler per step posted from the session page, each on its own route. A step
that is refused (409/422) shows the page again with the message beside its field and
what was typed (never a password); a step done returns to the page at its section."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.billing.service import charges as billing_charges
from ketaclinic.chairside import errors, forms, service
from ketaclinic.chairside.deps import committing, policy_of, witnesses
from ketaclinic.chairside.page import on_session_url, session_page
from ketaclinic.chairside.schemas import (
    AdverseIn,
    DischargeIn,
    GivenIn,
    ReadingIn,
    ReleaseIn,
    RescueIn,
    StopIn,
)
from ketaclinic.clinical.chairside import ITEMS, REMS_FIELDS
from ketaclinic.identity.principal import Principal
from ketaclinic.kit import forms as kit_forms
from ketaclinic.kit.errors import KetaClinicError, ValidationFailed
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.web import DbSession, Form, form_errors, is_htmx

router = APIRouter(include_in_schema=False)


def _answer(
    request: Request,
    db: Session,
    principal: Principal,
    session_id: Id,
    form: FormData,
    step: str,
    section: str,
    work: Callable[[], Any],
) -> Response:
    """Run one step; the page again (with the refusal, or at ``section``)."""
    try:
        work()
    except KetaClinicError as exc:
        if exc.status_code not in (409, 422):
            raise
        db.rollback()
        values = {k: v for k, v in form.items() if "password" not in k and isinstance(v, str)}
        page = session_page(
            request, db, principal, session_id, form_errors(exc), values, exc.status_code, step
        )
        return on_session_url(request, session_id, page)
    if is_htmx(request):
        page = session_page(request, db, principal, session_id, focus=section)
        return on_session_url(request, session_id, page)
    return RedirectResponse(f"/sessions/{session_id}#{section}", status_code=303)


def _typed_reading(form: FormData) -> bool:
    return any(kit_forms.text(form, k) for k in forms.READING_FIELDS)


def _record_reading(
    request: Request, db: Session, principal: Principal, session_id: Id, form: FormData
) -> None:
    """One manual reading from the form; refusals name the form's own fields."""
    reading = forms.model(ReadingIn, forms.reading(form))
    confirmed_repeat = kit_forms.checked(form, "confirm_repeat")
    try:
        service.record_vitals(
            db,
            principal,
            session_id,
            [reading],
            policy_of(request),
            confirm_repeat=confirmed_repeat,
        )
    except ValidationFailed as exc:
        # The page's one reading is the API's readings.0: name the page's fields, keep
        # the refusal's own class and code.
        exc.fields = {k.removeprefix("readings.0."): v for k, v in exc.fields.items()}
        raise


@router.post("/sessions/{session_id}/vitals")
def vitals(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        _record_reading(request, db, principal, session_id, form)

    return _answer(request, db, principal, session_id, form, "vitals", "vitals", work)


@router.post("/sessions/{session_id}/checklist")
def checklist(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """The pre-infusion checklist and the vital signs taken for it, in one submit: the
    reading is charted first, so the start-limits item is checked on it."""

    def work() -> None:
        policy = policy_of(request)
        c = service.chart(db, principal, session_id, policy, audited=False)
        manual = {
            i.key: (kit_forms.text(form, f"item_{i.key}"), kit_forms.text(form, f"value_{i.key}"))
            for i in c.checklist
            if i.kind == "manual"
        }
        missing = {
            f"item_{k}": "record yes, no or not applicable"
            for k, (r, _v) in manual.items()
            if r not in ("pass", "fail", "na")
        }
        needs_vitals = any(i.key == "vitals_in_start_limits" for i in c.checklist)
        if needs_vitals and not c.readings and not _typed_reading(form):
            missing["systolic"] = "enter the vital signs taken before the infusion"
        if missing:
            raise errors.ChecklistIncomplete(fields=missing)
        if _typed_reading(form):
            _record_reading(request, db, principal, session_id, form)
        service.record_checks(db, principal, session_id, manual, policy)

    return _answer(request, db, principal, session_id, form, "checklist", "step", work)


def _drawn_from(form: FormData) -> dict[str, Any]:
    """One container and what was drawn up, or two containers (and the amounts, when
    the nurse entered them): the form's fields for the one it shows."""
    if kit_forms.text(form, "draw") == "two":
        return {
            "container_id": forms.int_or_none(form, "container_id"),
            "second_container_id": forms.int_or_none(form, "second_container_id"),
            "first_mg": forms.decimal(form, "first_mg"),
            "second_mg": forms.decimal(form, "second_mg"),
        }
    return {
        "container_id": forms.int_or_none(form, "container_id"),
        "drawn_mg": forms.decimal(form, "drawn_mg"),
    }


@router.post("/sessions/{session_id}/release")
def release(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        policy = policy_of(request)
        c = service.chart(db, principal, session_id, policy, audited=False)
        service.check_allowed(c.session, "release_dose")
        checker = forms.witness(form)
        if not checker:
            raise errors.WitnessSignInRequired()
        data = forms.model(
            ReleaseIn,
            {
                "checker": {
                    "email": checker[0].email,
                    "password": checker[0].password,
                    "code": checker[0].code,
                },
                "weight_kg": forms.decimal(form, "weight_kg") or "1",
                "concentration_mg_per_ml": forms.decimal(form, "concentration_mg_per_ml"),
                **_drawn_from(form),
            },
        )
        if c.protocol.dose.unit != "mg" and not kit_forms.text(form, "weight_kg"):
            raise errors.CheckerWeightRequired()
        confirmed = witnesses(request, db, principal, c.session.clinic_id, checker)
        who = service.checker_principal(db, confirmed[0], c.session.clinic_id, principal.origin)
        committing(
            db,
            lambda: service.release_dose(db, principal, session_id, data, who, confirmed, policy),
        )

    return _answer(request, db, principal, session_id, form, "release", "step", work)


def _act(
    request: Request, db: Session, principal: Principal, session_id: Id, form: FormData, act: str
) -> Response:
    """Start, pause, resume, observe or change the rate: a step with no more to it."""

    def work() -> None:
        rate = forms.decimal(form, "rate_ml_per_h")
        if isinstance(rate, str):
            raise errors.RateNotANumber()
        service.act(
            db,
            principal,
            session_id,
            act,
            policy_of(request),
            reason=kit_forms.text(form, "reason"),
            rate_ml_per_h=rate,
        )

    return _answer(request, db, principal, session_id, form, act, "step", work)


@router.post("/sessions/{session_id}/start")
def start(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _act(request, db, principal, session_id, form, "start")


@router.post("/sessions/{session_id}/pause")
def pause(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _act(request, db, principal, session_id, form, "pause")


@router.post("/sessions/{session_id}/resume")
def resume(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _act(request, db, principal, session_id, form, "resume")


@router.post("/sessions/{session_id}/observe")
def observe(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _act(request, db, principal, session_id, form, "observe")


@router.post("/sessions/{session_id}/change_rate")
def change_rate(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _act(request, db, principal, session_id, form, "change_rate")


@router.post("/sessions/{session_id}/end")
def end(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        policy = policy_of(request)
        c = service.chart(db, principal, session_id, policy, audited=False)
        data = forms.model(GivenIn, forms.given(form, stop=False))
        confirmed = witnesses(request, db, principal, c.session.clinic_id, forms.witness(form))
        service.end_administration(db, principal, session_id, data, confirmed, policy)

    return _answer(request, db, principal, session_id, form, "end", "step", work)


@router.post("/sessions/{session_id}/stop")
def stop(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        policy = policy_of(request)
        c = service.chart(db, principal, session_id, policy, audited=False)
        data = forms.model(StopIn, forms.given(form, stop=True))
        confirmed = witnesses(request, db, principal, c.session.clinic_id, forms.witness(form))
        service.stop(db, principal, session_id, data, confirmed, policy)
        billing_charges.after_step(db, principal, session_id)

    return _answer(request, db, principal, session_id, form, "stop", "step", work)


@router.post("/sessions/{session_id}/acknowledge")
def acknowledge(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        alert_id = in_id_range(kit_forms.text(form, "alert_id"))
        if alert_id is None:
            raise errors.AlertNotChosen()
        service.acknowledge(
            db,
            principal,
            session_id,
            alert_id,
            kit_forms.text(form, "ack_action"),
            kit_forms.text(form, "note"),
            policy_of(request),
        )

    return _answer(request, db, principal, session_id, form, "acknowledge", "alerts", work)


@router.post("/sessions/{session_id}/adverse")
def adverse(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        data = forms.model(
            AdverseIn,
            {
                "effect": kit_forms.text(form, "effect"),
                "grade": forms.int_or_none(form, "grade"),
                "serious": kit_forms.checked(form, "serious"),
                "note": kit_forms.text(form, "note"),
            },
        )
        service.record_adverse(db, principal, session_id, data, policy_of(request))

    return _answer(request, db, principal, session_id, form, "adverse", "events", work)


@router.post("/sessions/{session_id}/rescue")
def rescue(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        data = forms.model(
            RescueIn,
            {
                "drug": kit_forms.text(form, "drug"),
                "dose": forms.decimal(form, "dose"),
                "route": kit_forms.text(form, "route"),
                "reason": kit_forms.text(form, "reason"),
            },
        )
        service.record_rescue(db, principal, session_id, data, policy_of(request))

    return _answer(request, db, principal, session_id, form, "rescue", "events", work)


@router.post("/sessions/{session_id}/discharge")
def discharge(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        data = forms.model(
            DischargeIn,
            {
                **{k: forms.int_or_none(form, k) for k in ITEMS},
                "escort_present": kit_forms.checked(form, "escort_present"),
                "instructions_given": kit_forms.checked(form, "instructions_given"),
            },
        )
        policy = policy_of(request)
        committing(db, lambda: service.discharge(db, principal, session_id, data, policy))
        billing_charges.after_step(db, principal, session_id)

    return _answer(request, db, principal, session_id, form, "discharge", "step", work)


@router.post("/sessions/{session_id}/sign")
def sign(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        service.sign_note(db, principal, session_id, policy_of(request))

    return _answer(request, db, principal, session_id, form, "sign", "note", work)


@router.post("/sessions/{session_id}/addendum")
def addendum(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        text = kit_forms.text(form, "text")
        if len(text) < 3:
            raise errors.AddendumRequired()
        service.add_addendum(db, principal, session_id, text, policy_of(request))

    return _answer(request, db, principal, session_id, form, "addendum", "note", work)


@router.post("/sessions/{session_id}/rems")
def rems(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        typed = {
            f.key: kit_forms.text(form, f"rems_{f.key}")
            for f in REMS_FIELDS
            if f"rems_{f.key}" in form
        }
        fields = {k: v for k, v in typed.items() if v != ""}
        service.save_rems(db, principal, session_id, fields, policy_of(request))

    return _answer(request, db, principal, session_id, form, "rems", "rems", work)


@router.post("/sessions/{session_id}/rems-sent")
def rems_sent(
    request: Request, form: Form, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    def work() -> None:
        try:
            sent_on = date.fromisoformat(kit_forms.text(form, "sent_on"))
        except ValueError:
            raise errors.RemsSentOnRequired() from None
        service.mark_rems_sent(
            db,
            principal,
            session_id,
            sent_on,
            kit_forms.text(form, "reference"),
            policy_of(request),
        )

    return _answer(request, db, principal, session_id, form, "rems-sent", "rems", work)
