"""Request helpers for the notification pages and API."""

from __future__ import annotations

from fastapi import Request

from ketaclinic.settings import Settings


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def request_url(request: Request, settings: Settings) -> str:
    """The URL Twilio signed: the public URL and the path (behind a proxy the request's
    own address differs), with the query string."""
    url = settings.public_url.rstrip("/") + request.url.path
    return url + (f"?{request.url.query}" if request.url.query else "")
