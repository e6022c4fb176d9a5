"""Request helpers for the calendar, shared by its pages and its API."""

from __future__ import annotations

from starlette.requests import Request

from ketaclinic.appointments import service


def policy_of(request: Request) -> service.SchedulePolicy:
    return service.SchedulePolicy.from_settings(request.app.state.settings)
