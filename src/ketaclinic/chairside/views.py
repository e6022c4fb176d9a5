"""Staff pages for the chair: the clinic board, one session (checklist, dose
release, vitals in seconds, alerts, side effects, discharge, the note; its steps
are posted to ``step_views``), the note and REMS PDFs, and the REMS due list.
Built for a tablet and gloves: big targets, the last values beside the fields,
one form per step."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth import polls
from ketaclinic.auth.clinic import requested_clinic_id
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.chairside import board as board_view
from ketaclinic.chairside import errors, page, pdf, service, step_views
from ketaclinic.chairside.deps import policy_of
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.fields import Id
from ketaclinic.kit.time import as_utc, utcnow
from ketaclinic.kit.web import DbSession, render

router = APIRouter(include_in_schema=False)


# ---- the clinic board ---------------------------------------------------------------------


def _board(request: Request, db: Session, principal: Principal, name: str) -> Response:
    wanted = requested_clinic_id(request)
    view = board_view.board(db, principal, policy_of(request), wanted, audited=False)
    # The page's opening is recorded; its polls are covered while the patients are the same.
    if not polls.covered(request, view.shown):
        board_view.record_view(db, principal, view)
    return render(
        request,
        name,
        {
            "board": view,
            "tz": view.clinic.timezone,
            "now": utcnow(),
            "view_id": polls.view_id(request, view.shown),
        },
    )


@router.get("/board")
def board(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    return _board(request, db, principal, "chairside/board.html")


@router.get("/board/rows")
def board_rows(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The board's rows alone: the page polls this every 15 seconds."""
    return _board(request, db, principal, "chairside/_board_rows.html")


def _open(
    request: Request, db: Session, principal: Principal, appointment_id: Id, action: str
) -> Response:
    s = service.open_session(db, principal, appointment_id, action, policy_of(request))
    target = f"/sessions/{s.id}" if action == "check_in" else f"/board?clinic_id={s.clinic_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/board/appointments/{appointment_id}/check-in")
def check_in(
    request: Request, appointment_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _open(request, db, principal, appointment_id, "check_in")


@router.post("/board/appointments/{appointment_id}/no-show")
def no_show(
    request: Request, appointment_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    return _open(request, db, principal, appointment_id, "no_show")


# ---- one session ---------------------------------------------------------------------------


@router.get("/sessions/{session_id}")
def session_page(
    request: Request,
    session_id: Id,
    principal: CurrentPrincipal,
    db: DbSession,
    draw: Literal["one", "two"] = "one",
) -> Response:
    """The session; ``?draw=two`` offers the dose release from two containers."""
    return page.session_page(request, db, principal, session_id, draw_two=draw == "two")


@router.get("/sessions/{session_id}/status")
def session_status(
    request: Request, session_id: Id, principal: CurrentPrincipal, db: DbSession
) -> Response:
    """The session's header (state, minutes, next reading due, open alerts), polled:
    a poll within the page's opening is covered by the opening's audit event."""
    shown = f"session:{session_id}"
    c = service.chart(
        db, principal, session_id, policy_of(request), audited=not polls.covered(request, shown)
    )
    context = {"c": c, "tz": c.clinic.timezone, "now": utcnow()}
    return render(
        request, "chairside/_status.html", context | {"view_id": polls.view_id(request, shown)}
    )


# Every step posted from the session page has a handler and a route of its own.
router.include_router(step_views.router)


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
        raise errors.NotARemsSession()
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
