"""One rule per capability: where a page and the API do the same thing, the same
permission opens both (issue 19: the front desk's token read a session the page
refused; the roster page refused who the roster API let read). And the helper pages
use to show a link answers as the route's rule does."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from ketaclinic.auth.access import may_open, route_for
from ketaclinic.identity.roles import Role
from ketaclinic.identity.routes import ROUTE_RULES

# (page route, API route) pairs that are one capability.
SAME_CAPABILITY = [
    ("GET /patients", "GET /api/v1/patients"),
    ("POST /patients/new", "POST /api/v1/patients"),
    ("GET /patients/{patient_id}", "GET /api/v1/patients/{patient_id}"),
    ("POST /patients/{patient_id}/edit", "PATCH /api/v1/patients/{patient_id}"),
    ("POST /patients/{patient_id}/measurements", "POST /api/v1/patients/{patient_id}/measurements"),
    (
        "POST /patients/{patient_id}/alerts/{alert_id}/acknowledge",
        "POST /api/v1/patients/{patient_id}/alerts/{alert_id}/acknowledge",
    ),
    ("GET /inquiries", "GET /api/v1/inquiries"),
    ("POST /inquiries/{inquiry_id}/convert", "POST /api/v1/inquiries/{inquiry_id}/convert"),
    ("GET /screenings", "GET /api/v1/screenings/awaiting-signature"),
    (
        "POST /patients/{patient_id}/screenings/{screening_id}/sign",
        "POST /api/v1/patients/{patient_id}/screenings/{screening_id}/sign",
    ),
    ("GET /protocols", "GET /api/v1/protocols"),
    ("POST /patients/{patient_id}/plans/new", "POST /api/v1/patients/{patient_id}/plans"),
    (
        "POST /patients/{patient_id}/plans/{plan_id}/dose",
        "POST /api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks",
    ),
    ("GET /admin/audit", "GET /api/v1/audit-events"),
    ("GET /ledger", "GET /api/v1/ledger/stock"),
    ("POST /ledger/receive", "POST /api/v1/ledger/receipts"),
    ("POST /ledger/draw", "POST /api/v1/ledger/draws"),
    ("GET /schedule", "GET /api/v1/schedule/day"),
    ("GET /schedule/roster", "GET /api/v1/schedule/roster"),
    ("POST /schedule/roster", "PUT /api/v1/schedule/roster"),
    (
        "POST /schedule/appointments/{appointment_id}/cancel",
        "POST /api/v1/appointments/{appointment_id}/cancel",
    ),
    (
        "POST /schedule/appointments/{appointment_id}/no-show",
        "POST /api/v1/appointments/{appointment_id}/no-show",
    ),
    (
        "POST /schedule/appointments/{appointment_id}/escort",
        "POST /api/v1/appointments/{appointment_id}/escort",
    ),
    (
        "POST /schedule/appointments/{appointment_id}/reschedule",
        "POST /api/v1/appointments/{appointment_id}/reschedule",
    ),
    (
        "POST /ledger/draws/{draw_id}/administer",
        "POST /api/v1/ledger/draws/{draw_id}/administrations",
    ),
    ("POST /ledger/draws/{draw_id}/waste", "POST /api/v1/ledger/draws/{draw_id}/waste"),
    ("POST /ledger/draws/{draw_id}/return", "POST /api/v1/ledger/draws/{draw_id}/returns"),
    (
        "POST /ledger/draws/{draw_id}/correct",
        "POST /api/v1/ledger/draws/{draw_id}/corrections",
    ),
    (
        "POST /ledger/containers/{container_id}/transfer",
        "POST /api/v1/ledger/containers/{container_id}/transfer",
    ),
    (
        "POST /ledger/containers/{container_id}/destroy",
        "POST /api/v1/ledger/containers/{container_id}/destruction",
    ),
    (
        "POST /ledger/containers/{container_id}/loss",
        "POST /api/v1/ledger/containers/{container_id}/loss",
    ),
    ("POST /ledger/setup/product", "POST /api/v1/ledger/products"),
    ("POST /ledger/setup/location", "POST /api/v1/ledger/locations"),
    (
        "POST /patients/{patient_id}/plans/{plan_id}/book",
        "POST /api/v1/patients/{patient_id}/plans/{plan_id}/appointments",
    ),
    ("GET /board", "GET /api/v1/board"),
    ("GET /rems", "GET /api/v1/rems/due"),
    (
        "POST /board/appointments/{appointment_id}/check-in",
        "POST /api/v1/appointments/{appointment_id}/session",
    ),
    (
        "POST /board/appointments/{appointment_id}/no-show",
        "POST /api/v1/appointments/{appointment_id}/session",
    ),
    ("GET /sessions/{session_id}", "GET /api/v1/sessions/{session_id}"),
    ("GET /sessions/{session_id}/note.pdf", "GET /api/v1/sessions/{session_id}/note"),
    ("GET /sessions/{session_id}/rems.pdf", "GET /api/v1/sessions/{session_id}/rems"),
    ("POST /sessions/{session_id}/vitals", "POST /api/v1/sessions/{session_id}/vitals"),
    (
        "POST /patients/{patient_id}/consents/share",
        "POST /api/v1/patients/{patient_id}/consents/requests",
    ),
    (
        "POST /patients/{patient_id}/documents/share",
        "POST /api/v1/patients/{patient_id}/documents",
    ),
    ("GET /patients/{patient_id}", "GET /api/v1/patients/{patient_id}/consents"),
    ("GET /patients/{patient_id}", "GET /api/v1/patients/{patient_id}/documents"),
]


@pytest.mark.parametrize(("page", "api"), SAME_CAPABILITY, ids=[p for p, _a in SAME_CAPABILITY])
def test_it_holds_a_page_and_the_api_to_one_rule(page: str, api: str) -> None:
    assert ROUTE_RULES[page] == ROUTE_RULES[api]


def test_it_finds_the_route_a_link_reaches(app: FastAPI) -> None:
    assert route_for(app, "GET", "/sessions/12") == "/sessions/{session_id}"
    assert route_for(app, "GET", "/sessions/12/note.pdf") == "/sessions/{session_id}/note.pdf"
    # Router order decides between a fixed and a generic segment, as for a request.
    assert route_for(app, "POST", "/patients/3/measurements") == (
        "/patients/{patient_id}/measurements"
    )
    assert route_for(app, "POST", "/nowhere/at/all") is None
    assert route_for(app, "DELETE", "/patients") is None


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_it_shows_a_link_exactly_when_the_route_lets_the_role_in(app: FastAPI, role: Role) -> None:
    assert may_open(app, role, "GET /patients") == (
        role not in (Role.CUSTODIAN, Role.NETWORK_OPERATOR)
    )
    assert may_open(app, role, "GET /reports/outcomes") == (
        role in (Role.ADMIN, Role.PRESCRIBER, Role.NETWORK_OPERATOR)
    )
    assert may_open(app, role, "GET /schedule/roster/") is False  # no such page
    assert may_open(app, role, "POST /schedule/roster") == (role in (Role.ADMIN, Role.FRONT_DESK))
    assert may_open(app, role, "POST /sessions/4/vitals") == (role in (Role.PRESCRIBER, Role.NURSE))
    assert may_open(app, role, "GET /admin/displays") == (role is Role.ADMIN)
    assert may_open(app, role, "GET /display/abc") is True  # public: the link is the key
