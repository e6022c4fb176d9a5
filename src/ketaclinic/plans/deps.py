"""Request helpers for treatment plans, shared by its pages, its API and other domains."""

from __future__ import annotations

from starlette.requests import Request

from ketaclinic.plans import service
from ketaclinic.screenings.deps import policy_of as screening_policy_of


def policy_of(request: Request) -> service.PlanPolicy:
    """The protocols served and the volume step; the clinic's own dosing thresholds
    (weight age, rounding tolerance) are read by the service (clinics.settings)."""
    settings = request.app.state.settings
    return service.PlanPolicy(
        protocols=request.app.state.protocols,
        screening=screening_policy_of(request),
        volume_step=settings.volume_step_ml,
    )
