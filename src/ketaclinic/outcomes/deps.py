"""Request helpers for the course and booster suggestions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ketaclinic.clinical.boosters import load_booster_rules
from ketaclinic.outcomes import service


def load_course_data(app: Any) -> None:
    """At start-up: a malformed booster rules file stops the app."""
    app.state.booster_rules = load_booster_rules()


def policy_of(request: Request) -> service.CoursePolicy:
    return service.CoursePolicy(
        rules=request.app.state.booster_rules, protocols=request.app.state.protocols
    )
