"""The signed-in patient of a portal request.

How another package adds a portal page
--------------------------------------
1. In ``identity/routes.py`` give the route ``Access.PATIENT`` in ``ROUTE_RULES``
   (e.g. ``"GET /portal/questionnaires": Access.PATIENT``). Staff authorization lets
   such a route through without looking for a staff session; staff pages never link
   to it (``auth.access.can`` is False for it).
2. Take ``patient: CurrentPatient`` in the handler. It answers only with a live portal
   session (cookie ``kc_portal``, idle and absolute timeouts, second factor passed);
   otherwise it raises ``PortalSignInRequired`` and the page redirects to
   ``/portal/sign-in``. A POST must carry the session's CSRF token as the form field
   ``csrf_token``: ``<input type="hidden" name="csrf_token" value="{{ portal_csrf }}">``.
3. Filter every query by ``patient.patient_id`` (and ``patient.clinic_id``); a record
   that is not the patient's is a 404 (``portal.errors.PortalRecordNotFound``), the
   same as one that does not exist. On PostgreSQL the dependency has already made the
   patient's clinic the transaction's visible one for row-level security.
4. Audit every read and write with ``portal.actor.record(db, patient, "action", ...)``:
   the patient's account is the actor (``patient-account:<id>``).
   A 404 the patient meets is recorded for them by ``refusals`` (their account as
   actor); nothing to add.
5. Templates extend ``portal/base.html`` and fill ``{% block content %}`` (and
   ``{% block title %}``); render with ``portal.deps.render_portal(request, name,
   patient, context, db=db)`` so the layout has the clinic's name, the navigation and
   the CSRF token; ``"nav"`` in the context ("visits", "questionnaires", "documents",
   "scores") marks the current tab. Pages work without JavaScript on a 390 px phone
   screen (``static/css/portal.css``); tests/e2e/test_portal_pages.py shows the checks.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ketaclinic.auth.deps import SAFE_METHODS, csrf_sent, origin_of
from ketaclinic.auth.errors import FormOriginRefused
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.web import DbSession, render
from ketaclinic.portal import sessions
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.portal.errors import PortalSignInRequired

__all__ = [
    "PORTAL_COOKIE",
    "PORTAL_SIGN_IN",
    "CurrentPatient",
    "PortalPatient",
    "PortalSignInRequired",
    "is_portal",
    "render_portal",
]

PORTAL_COOKIE = "kc_portal"
PORTAL_SIGN_IN = "/portal/sign-in"


def is_portal(request: Request) -> bool:
    path = request.url.path
    return path == "/portal" or path.startswith("/portal/")


def _resolve(request: Request, db: Session, sent: str) -> PortalPatient:
    cookie = request.cookies.get(PORTAL_COOKIE)
    settings = request.app.state.settings
    idle = timedelta(minutes=settings.portal_idle_timeout_minutes)
    if not cookie:
        raise PortalSignInRequired()
    set_visible_clinics(db, "*")  # system work: the cookie, not a clinic, is the key
    found = sessions.for_cookie(db, cookie, idle_timeout=idle)
    if found is None:
        raise PortalSignInRequired()
    account, row = found
    if not row.mfa_passed:
        raise PortalSignInRequired("Enter the code from your app to finish signing in.")
    # A cookie rides along on cross-site requests; a token the other site cannot read does not.
    if request.method not in SAFE_METHODS and not hmac.compare_digest(sent, row.csrf_token):
        raise FormOriginRefused(
            "The form expired or did not come from this site; reload and retry."
        )
    set_visible_clinics(db, [account.clinic_id])
    return PortalPatient(
        account_id=account.id,
        patient_id=account.patient_id,
        clinic_id=account.clinic_id,
        csrf_token=row.csrf_token,
        origin=origin_of(request, "portal"),
    )


async def current_patient(request: Request, db: DbSession) -> PortalPatient:
    """The signed-in patient (one threadpool step for the lookup; cached per request)."""
    cached = getattr(request.state, "portal_patient", None)
    if isinstance(cached, PortalPatient):
        return cached
    patient = await run_in_threadpool(_resolve, request, db, await csrf_sent(request))
    request.state.portal_patient = patient
    return patient


CurrentPatient = Annotated[PortalPatient, Depends(current_patient)]


def clinic_name(db: Session, clinic_id: int) -> str:
    clinic = db.get(Clinic, clinic_id)
    return clinic.name if clinic is not None else ""


def render_portal(
    request: Request,
    name: str,
    patient: PortalPatient | None,
    context: dict[str, Any] | None = None,
    *,
    db: Session | None = None,
    status_code: int = 200,
) -> Response:
    """A portal page: the layout gets the patient (CSRF token, navigation) and the
    clinic's name (read through ``db`` unless the context gives ``clinic_name``)."""
    ctx: dict[str, Any] = {"patient": patient, "portal_csrf": patient.csrf_token if patient else ""}
    if patient is not None and db is not None:
        ctx["clinic_name"] = clinic_name(db, patient.clinic_id)
    ctx.update(context or {})
    response = render(request, name, ctx, status_code=status_code)
    # Nothing of a patient's own pages is kept by shared caches or sent to other sites.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
