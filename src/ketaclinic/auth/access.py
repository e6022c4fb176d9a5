"""What a caller may open, from the one rule every request is held to.

Pages show a link or a button only when ``can(request, "METHOD /path")`` says the
route behind it would let the signed-in user in: the same ``ROUTE_RULES`` entry that
``deps.authorize`` enforces, checked against the user's role in the record's clinic
when the template names it. A link is never a dead end, and hiding one never hides a
permission the request itself would grant.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts

from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission, Role
from ketaclinic.identity.routes import ROUTE_RULES, Access

_NUMBER = re.compile(r"/\d+(?=/|$)")
_PARAM = re.compile(r"\{[^}/]+\}")

# Where a signed-in user lands from "/": the first of these the role may open.
HOME_PAGES = ("/patients", "/ledger", "/admin/staff", "/reports/outcomes")


def _patterns(app: FastAPI) -> list[tuple[str, re.Pattern[str], str]]:
    """(method, compiled path, template) for every route, in the order the app
    tries them: the first match is the route a request would reach."""
    cached = getattr(app.state, "route_patterns", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.path:
            continue
        parts = _PARAM.split(context.path)
        regex = re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")
        found += [(method, regex, context.path) for method in sorted(context.methods or ())]
    app.state.route_patterns = found
    app.state.route_lookups = {}
    return found


def route_for(app: FastAPI, method: str, path: str) -> str | None:
    """The template of the route ``method path`` reaches ("/sessions/12" ->
    "/sessions/{session_id}"), or None when nothing answers it."""
    method = "GET" if method == "HEAD" else method.upper()
    patterns = _patterns(app)
    # Ids are the only numbers in paths; one lookup serves every record's link.
    key = f"{method} {_NUMBER.sub('/1', path.split('?', 1)[0])}"
    lookups: dict[str, str | None] = app.state.route_lookups
    if key not in lookups:
        bare = key.split(" ", 1)[1]
        lookups[key] = next(
            (t for m, regex, t in patterns if m == method and regex.match(bare)), None
        )
    return lookups[key]


def rule_of(app: FastAPI, what: str) -> Permission | Access | None:
    """The rule for "METHOD /concrete/path" or "METHOD /template/{id}"."""
    if what in ROUTE_RULES:
        return ROUTE_RULES[what]
    method, _, path = what.partition(" ")
    template = route_for(app, method, path)
    return None if template is None else ROUTE_RULES.get(f"{method.upper()} {template}")


def allows(
    principal: Principal | None, rule: Permission | Access | None, clinic_id: int | None = None
) -> bool:
    """Would ``rule`` let ``principal`` in (in ``clinic_id`` when given, else in any
    of its clinics, as ``deps.authorize`` checks before the service checks the record's)?"""
    if rule is None:
        return False
    if rule is Access.PUBLIC:
        return True
    if principal is None or rule is Access.PATIENT:
        return False  # portal pages are the patient's, never staff's
    if rule is Access.SMART:
        return False  # FHIR routes are for programs with a token, not for pages' links
    if isinstance(rule, Access):
        return True
    if clinic_id is not None:
        return principal.can(rule, clinic_id)
    return bool(principal.clinics_with(rule))


def can(request: Request, what: str, clinic_id: int | None = None) -> bool:
    """For templates: may the signed-in user open ``what`` ("GET /patients",
    "POST /sessions/12/vitals"), in the record's clinic when given?"""
    principal = getattr(request.state, "principal", None)
    return allows(principal, rule_of(request.app, what), clinic_id)


def may_open(app: FastAPI, role: Role, what: str) -> bool:
    """Could a user with ``role`` in one clinic open ``what``? (The crawl test's question.)"""
    principal = Principal(0, "", "", {1: role})
    return allows(principal, rule_of(app, what), 1)


def home_for(app: FastAPI, principal: Principal) -> str:
    allowed = (p for p in HOME_PAGES if allows(principal, rule_of(app, f"GET {p}")))
    return next(allowed, "/account/mfa")


def template_globals() -> dict[str, Any]:
    return {"can": can}
