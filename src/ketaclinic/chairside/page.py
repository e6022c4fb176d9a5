"""The session page, rendered for every state: what the nurse does next, the vital
signs, events, the REMS form and the note. The pages' handlers (``views``) show it,
and every posted step shows it again, with the refusal beside its field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth import polls
from ketaclinic.chairside import forms, service
from ketaclinic.chairside.deps import policy_of
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
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.time import utcnow
from ketaclinic.kit.web import is_htmx, render

READING_FIELDS = forms.READING_FIELDS
REMS_LABELS = {f.key: f.label for f in REMS_FIELDS}
ALDRETE_LABELS = {key: key.replace("_", " ").capitalize() for key in ITEMS}


def _pair(choices: list[service.ContainerChoice], dose_mg: Decimal) -> tuple[int, int] | None:
    """The two containers offered first: the one with least left, and the next that
    with it holds the dose (the opened vial finished first); None when no two do."""
    for i, first in enumerate(choices):
        for second in choices[i + 1 :]:
            if first.on_hand_mg + second.on_hand_mg >= dose_mg:
                return first.id, second.id
    return None


def _release(
    db: Session,
    principal: Principal,
    c: service.Chart,
    policy: service.ChairsidePolicy,
    draw_two: bool,
) -> dict[str, Any]:
    """The dose to release, the containers that hold it (or every container, to draw
    from two), and what the checker reads the concentration from."""
    try:
        dose = service.session_dose(db, principal, c, policy)
    except DoseError as exc:
        return {"dose": None, "dose_problem": str(exc)}
    every = service.drawable(db, c)
    holding = [x for x in every if x.on_hand_mg >= dose.dose.value]
    pair = _pair(every, dose.dose.value)
    return {
        "dose": dose,
        "dose_problem": "",
        "containers": holding,
        "all_containers": every,
        "two": pair is not None and (draw_two or not holding),
        "pair": pair,
        "concentration_label": service.concentration_label(db, principal, c),
    }


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


def session_page(
    request: Request,
    db: Session,
    principal: Principal,
    session_id: Id,
    errors: dict[str, str] | None = None,
    values: Any = None,
    status_code: int = 200,
    focus: str = "",
    draw_two: bool = False,
) -> Response:
    """The session's page; ``draw_two`` offers the dose release from two containers."""
    policy = policy_of(request)
    c = service.chart(db, principal, session_id, policy)
    can_chart = principal.can(Permission.SESSION_CHART, c.session.clinic_id)
    release: dict[str, Any] = {"dose": None, "dose_problem": "", "containers": []}
    if c.state == "prechecked" and can_chart:
        two = draw_two or (values or {}).get("draw") == "two"
        release = _release(db, principal, c, policy, two)
    auto = service.auto_checks(db, principal, c, policy) if c.state == "checked_in" else {}
    escort = service.escort_on_file(db, c) if c.state == "checked_in" else None
    # The last values are shown beside empty fields, never pre-filled: one tap
    # must not chart the previous reading again.
    last = c.last_reading
    last_values = {k: getattr(last, k) for k in READING_FIELDS} if last else {}
    # What is left of the draw is the ledger's (LEDGER_READ): shown to who charts.
    drawn = c.draw is not None and can_chart
    open_mg = service.open_mg(db, principal, c.session) if drawn else Decimal(0)
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
            # The prescriber's separately identifiable evaluation (billing, issue 23).
            "can_evaluate": principal.can(Permission.PLAN_SIGN, c.session.clinic_id),
            **release,
            "auto": auto,
            "escort": escort,
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
            "aldrete_labels": ALDRETE_LABELS,
            "aldrete_options": ITEM_OPTIONS,
            "aldrete_suggested": _aldrete_suggestion(c),
            "open_mg": open_mg,
            "min_score": c.settings.aldrete_min_score,
            "chart_svg": vitals_svg(c),
            "rems_fields": REMS_FIELDS,
            "rems_labels": REMS_LABELS,
            "rems_values": rems_fields,
            "rems_missing": rems_missing,
            "now": utcnow(),
            "signing": service.signing(c, principal),
            "view_id": polls.view_id(request, f"session:{c.session.id}"),
        },
        status_code,
    )


def on_session_url(request: Request, session_id: Id, response: Response) -> Response:
    """A boosted form answered in place would leave the action's URL in the address
    bar, and a reload would GET it (405): keep the tablet on the session's page."""
    if is_htmx(request):
        response.headers["HX-Replace-Url"] = f"/sessions/{session_id}"
    return response
