"""Staff pages for the chair: the clinic board, one session (checklist, dose
release, vitals in seconds, alerts, side effects, discharge, the note), the
note and REMS PDFs, and the REMS due list. Built for a tablet and gloves: big
targets, the last values pre-filled, one form per step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Permission
from ketaclinic.chairside import board as board_view
from ketaclinic.chairside import forms, pdf, service
from ketaclinic.chairside.endpoints import committing, policy_of, witnesses
from ketaclinic.chairside.schemas import (
    AdverseIn,
    DischargeIn,
    GivenIn,
    ReadingIn,
    ReleaseIn,
    RescueIn,
    StopIn,
)
from ketaclinic.chairside.vitals_chart import vitals_svg
from ketaclinic.clinical.chairside import (
    ALERT_ACTION_LABELS,
    ITEM_OPTIONS,
    ITEMS,
    MEASURE_LABELS,
    REMS_FIELDS,
    STOP_REASON_LABELS,
    circulation_score,
    ends_early,
    oxygen_score,
)
from ketaclinic.clinical.dosing import DoseError
from ketaclinic.kit.errors import KetaClinicError, ValidationFailed
from ketaclinic.kit.fields import Id, in_id_range
from ketaclinic.kit.time import as_utc, to_local, utcnow
from ketaclinic.kit.web import DbSession, Form, form_errors, form_text, is_htmx, render
from ketaclinic.ledger import service as ledger

router = APIRouter(include_in_schema=False)
READING_FIELDS = forms.READING_FIELDS


# ---- the clinic board ---------------------------------------------------------------------


def _board(request: Request, db: Session, principal: Principal, name: str) -> Response:
    view = board_view.board(db, principal, policy_of(request))
    return render(
        request,
        name,
        {
            "board": view,
            "tz": view.clinic.timezone,
            "now": utcnow(),
            "can_write": principal.can(Permission.PATIENT_WRITE, view.clinic.id),
        },
    )


@router.get("/board")
def board(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    return _board(request, db, principal, "chairside/board.html")


@router.get("/board/rows")
def board_rows(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The board's rows alone: the page polls this every 15 seconds."""
    return _board(request, db, principal, "chairside/_board_rows.html")


@router.post("/board/appointments/{appointment_id}/{open_action}")
def open_visit(
    request: Request,
    appointment_id: Id,
    open_action: str,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    action = {"check-in": "check_in", "no-show": "no_show"}.get(open_action)
    if action is None:
        raise ValidationFailed.on("action", f"no action {open_action!r}")
    s = service.open_session(db, principal, appointment_id, action, policy_of(request))
    target = f"/sessions/{s.id}" if action == "check_in" else "/board"
    return RedirectResponse(target, status_code=303)


# ---- one session ---------------------------------------------------------------------------


def _dose_preview(
    db: Session, principal: Principal, c: service.Chart, policy: service.ChairsidePolicy
) -> tuple[Any, str]:
    try:
        dose = service.session_dose(db, principal, c, policy)
    except DoseError as exc:
        return None, str(exc)
    return dose, ""


def _containers(db: Session, c: service.Chart) -> list[tuple[int, str]]:
    today = to_local(c.now, c.clinic.timezone).date()
    rows = ledger.drawable(db, [c.session.clinic_id], today, drug=c.protocol.drug)
    return [
        (
            container.id,
            f"{container.label} · {product.name} {product.strength} · lot "
            f"{lot.lot_number} · {Decimal(container.on_hand_ug) / 1000:g} mg · {location.name}",
        )
        for container, lot, product, location in rows
    ]


def _aldrete_suggestion(c: service.Chart) -> dict[str, int]:
    """What the readings say for circulation and SpO2 (the nurse confirms)."""
    found: dict[str, int] = {}
    bps = [r for r in c.readings if r.systolic is not None]
    if len(bps) >= 2:
        found["circulation"] = circulation_score(bps[0].systolic or 0, bps[-1].systolic or 0)
    last = next((r for r in reversed(c.readings) if r.spo2 is not None), None)
    if last is not None and last.spo2 is not None:
        found["oxygen_saturation"] = oxygen_score(last.spo2, last.on_oxygen)
    return found


def _early_now(c: service.Chart) -> bool:
    """Ending the administration now would be an early stop."""
    if c.state not in service.ADMINISTRATION or c.dose_check is None:
        return False
    ran = service.infused_min(c, c.now)
    return ends_early(ran, c.dose_check.duration_min, c.settings.early_end_fraction)


def _session_page(
    request: Request,
    db: Session,
    principal: Principal,
    session_id: Id,
    errors: dict[str, str] | None = None,
    values: Any = None,
    status_code: int = 200,
    focus: str = "",
) -> Response:
    policy = policy_of(request)
    c = service.chart(db, principal, session_id, policy)
    can_chart = principal.can(Permission.SESSION_CHART, c.session.clinic_id)
    dose, dose_problem = (None, "")
    containers: list[tuple[int, str]] = []
    if c.state == "prechecked" and can_chart:
        dose, dose_problem = _dose_preview(db, principal, c, policy)
        containers = _containers(db, c)
    auto = service.auto_checks(db, principal, c, policy) if c.state == "checked_in" else {}
    # The last values are shown beside empty fields, never pre-filled: one tap
    # must not chart the previous reading again.
    last = c.last_reading
    last_values = {k: getattr(last, k) for k in READING_FIELDS} if last else {}
    open_mg = service.open_mg(db, principal, c.session) if c.draw is not None else Decimal(0)
    rems_fields = service.rems_fields(db, c) if c.protocol.rems else {}
    rems_missing = service.rems_missing(c, db) if c.protocol.rems else {}
    return render(
        request,
        "chairside/session.html",
        {
            "c": c,
            "s": c.session,
            "patient": c.patient,
            "tz": c.clinic.timezone,
            "errors": errors or {},
            "values": values or {},
            "focus": focus,
            "can_chart": can_chart,
            "dose": dose,
            "dose_problem": dose_problem,
            "containers": containers,
            "auto": auto,
            "last_values": last_values,
            "last_at": last.taken_at if last else None,
            "infused_min": service.infused_min(c, c.now) if c.drug_given else None,
            "early_now": _early_now(c),
            "stop_reasons": STOP_REASON_LABELS,
            "reading_fields": READING_FIELDS,
            "measure_labels": MEASURE_LABELS,
            "alert_actions": ALERT_ACTION_LABELS,
            "vocabulary": policy.vocabulary,
            "aldrete_items": ITEMS,
            "aldrete_options": ITEM_OPTIONS,
            "aldrete_suggested": _aldrete_suggestion(c),
            "open_mg": open_mg,
            "min_score": c.settings.aldrete_min_score,
            "chart_svg": vitals_svg(c),
            "rems_fields": REMS_FIELDS,
            "rems_values": rems_fields,
            "rems_missing": rems_missing,
            "now": utcnow(),
            "signed_roles": {s.role for s in c.signatures},
        },
        status_code,
    )


@router.get("/sessions/{session_id}")
def session_page(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _session_page(request, db, principal, session_id)


@router.get("/sessions/{session_id}/status")
def session_status(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """The session's header (state, minutes, next reading due, open alerts), polled."""
    c = service.chart(db, principal, session_id, policy_of(request))
    return render(
        request, "chairside/_status.html", {"c": c, "tz": c.clinic.timezone, "now": utcnow()}
    )


def _do(
    request: Request,
    db: Session,
    principal: Principal,
    session_id: Id,
    action: str,
    form: FormData,
) -> str:
    """Carry out one posted step; the fragment of the page to return to."""
    policy = policy_of(request)
    if action == "vitals":
        reading = forms.model(ReadingIn, forms.reading(form))
        confirmed_repeat = form_text(form, "confirm_repeat") == "on"
        try:
            service.record_vitals(
                db, principal, session_id, [reading], policy, confirm_repeat=confirmed_repeat
            )
        except ValidationFailed as exc:  # one reading: name the form's own fields
            fields = {k.removeprefix("readings.0."): v for k, v in exc.fields.items()}
            raise ValidationFailed(exc.message, fields) from None
        return "vitals"
    if action == "checklist":
        c = service.chart(db, principal, session_id, policy, audited=False)
        manual = {
            i.key: (form_text(form, f"item_{i.key}"), form_text(form, f"value_{i.key}"))
            for i in c.checklist
            if i.kind == "manual"
        }
        missing = {
            f"item_{k}": "record pass, fail or not applicable"
            for k, (r, _v) in manual.items()
            if r not in ("pass", "fail", "na")
        }
        if missing:
            raise ValidationFailed("Record every item.", missing)
        service.record_checks(db, principal, session_id, manual, policy)
        return "checklist"
    if action == "release":
        c = service.chart(db, principal, session_id, policy, audited=False)
        service.check_allowed(c.session, "release_dose")
        checker = forms.witness(form)
        if not checker:
            raise ValidationFailed.on("witness_email", "the second clinician signs in here")
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
                "container_id": forms.int_or_none(form, "container_id"),
                "drawn_mg": forms.decimal(form, "drawn_mg"),
            },
        )
        if c.protocol.dose.unit != "mg" and not form_text(form, "weight_kg").strip():
            raise ValidationFailed.on("weight_kg", "the checker re-enters the weight")
        confirmed = witnesses(request, db, principal, c.session.clinic_id, checker)
        who = service.checker_principal(db, confirmed[0], c.session.clinic_id, principal.origin)
        committing(
            db,
            lambda: service.release_dose(db, principal, session_id, data, who, confirmed, policy),
        )
        return "step"
    if action in ("start", "pause", "resume", "observe", "change_rate"):
        rate = forms.decimal(form, "rate_ml_per_h")
        if isinstance(rate, str):
            raise ValidationFailed.on("rate_ml_per_h", "give the rate as a number of mL/h")
        service.act(
            db,
            principal,
            session_id,
            action,
            policy,
            reason=form_text(form, "reason"),
            rate_ml_per_h=rate,
        )
        return "step"
    if action in ("end", "stop"):
        c = service.chart(db, principal, session_id, policy, audited=False)
        body = forms.given(form, stop=action == "stop")
        data = forms.model(StopIn if action == "stop" else GivenIn, body)
        confirmed = witnesses(request, db, principal, c.session.clinic_id, forms.witness(form))
        work: Callable[[], Any] = (
            (lambda: service.stop(db, principal, session_id, data, confirmed, policy))
            if action == "stop"
            else (
                lambda: service.end_administration(
                    db, principal, session_id, data, confirmed, policy
                )
            )
        )
        work()
        return "step"
    if action == "acknowledge":
        alert_id = in_id_range(form_text(form, "alert_id").strip())
        if alert_id is None:
            raise ValidationFailed.on("alert_id", "choose the alert")
        service.acknowledge(
            db,
            principal,
            session_id,
            alert_id,
            form_text(form, "ack_action"),
            form_text(form, "note"),
            policy,
        )
        return "alerts"
    if action == "adverse":
        data = forms.model(
            AdverseIn,
            {
                "effect": form_text(form, "effect"),
                "grade": forms.int_or_none(form, "grade"),
                "serious": form_text(form, "serious") == "on",
                "note": form_text(form, "note"),
            },
        )
        service.record_adverse(db, principal, session_id, data, policy)
        return "events"
    if action == "rescue":
        data = forms.model(
            RescueIn,
            {
                "drug": form_text(form, "drug"),
                "dose": forms.decimal(form, "dose"),
                "route": form_text(form, "route"),
                "reason": form_text(form, "reason"),
            },
        )
        service.record_rescue(db, principal, session_id, data, policy)
        return "events"
    if action == "discharge":
        data = forms.model(
            DischargeIn,
            {
                **{k: forms.int_or_none(form, k) for k in ITEMS},
                "escort_present": form_text(form, "escort_present") == "on",
                "instructions_given": form_text(form, "instructions_given") == "on",
            },
        )
        committing(db, lambda: service.discharge(db, principal, session_id, data, policy))
        return "step"
    if action == "sign":
        service.sign_note(db, principal, session_id, policy)
        return "note"
    if action == "addendum":
        text = form_text(form, "text").strip()
        if len(text) < 3:
            raise ValidationFailed.on("text", "write the addendum")
        service.add_addendum(db, principal, session_id, text, policy)
        return "note"
    if action == "rems":
        fields = {
            f.key: form_text(form, f"rems_{f.key}").strip()
            for f in REMS_FIELDS
            if f"rems_{f.key}" in form
        }
        service.save_rems(
            db, principal, session_id, {k: v for k, v in fields.items() if v != ""}, policy
        )
        return "rems"
    if action == "rems-sent":
        try:
            sent_on = date.fromisoformat(form_text(form, "sent_on"))
        except ValueError:
            raise ValidationFailed.on("sent_on", "use YYYY-MM-DD") from None
        service.mark_rems_sent(
            db, principal, session_id, sent_on, form_text(form, "reference"), policy
        )
        return "rems"
    raise ValidationFailed.on("action", f"no action {action!r}")


@router.post("/sessions/{session_id}/{session_action}")
def session_action(
    request: Request,
    form: Form,
    session_id: Id,
    session_action: str,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Response:
    try:
        focus = _do(request, db, principal, session_id, session_action, form)
    except KetaClinicError as exc:
        if exc.status_code not in (409, 422):
            raise
        db.rollback()
        values = {k: v for k, v in form.items() if "password" not in k and isinstance(v, str)}
        return _on_session_url(
            request,
            session_id,
            _session_page(
                request,
                db,
                principal,
                session_id,
                form_errors(exc),
                values,
                exc.status_code,
                session_action,
            ),
        )
    if is_htmx(request):
        return _on_session_url(
            request, session_id, _session_page(request, db, principal, session_id, focus=focus)
        )
    return RedirectResponse(f"/sessions/{session_id}#{focus}", status_code=303)


def _on_session_url(request: Request, session_id: Id, response: Response) -> Response:
    """A boosted form answered in place would leave the action's URL in the address
    bar, and a reload would GET it (405): keep the tablet on the session's page."""
    if is_htmx(request):
        response.headers["HX-Replace-Url"] = f"/sessions/{session_id}"
    return response


# ---- documents -----------------------------------------------------------------------------


@router.get("/sessions/{session_id}/note.pdf")
def note_pdf(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    c = service.chart(db, principal, session_id, policy_of(request))
    return Response(
        pdf.note_pdf(c),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="session-{session_id}-note.pdf"'},
    )


@router.get("/sessions/{session_id}/rems.pdf")
def rems_pdf(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    c = service.chart(db, principal, session_id, policy_of(request))
    if not c.protocol.rems:
        raise ValidationFailed.on("session_id", "this session is not under the Spravato REMS")
    fields = service.rems_fields(db, c)
    return Response(
        pdf.rems_pdf(c, fields, service.rems_missing(c, db)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="session-{session_id}-rems.pdf"'},
    )


@router.get("/rems")
def rems_due(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    due = service.rems_due(db, principal, policy_of(request))
    return render(
        request,
        "chairside/rems_due.html",
        {"due": due, "today": utcnow().date(), "as_utc": as_utc, "now": utcnow},
    )
