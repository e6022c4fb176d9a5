"""Request helpers for screenings, shared by its pages, its API and other domains."""

from __future__ import annotations

from starlette.requests import Request

from ketaclinic.screenings import service


def policy_of(request: Request) -> service.ScreeningPolicy:
    """The rule sets served; how long a screening stays valid is the clinic's
    (clinics.settings, read by the service)."""
    return service.ScreeningPolicy(rule_sets=request.app.state.rule_sets)
