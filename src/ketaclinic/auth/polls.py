"""Background polls: what a page asks for by itself every few seconds.

A polling element (``hx-trigger="every 15s"``) sends ``POLL_HEADER``. A poll is no
sign that someone is at the screen, so it does not keep the browser session alive
(``deps`` skips the idle clock's touch), and it does not read the chart again in the
audit trail's eyes: the page's opening recorded the read and handed the page a
*view id*; polls carrying it are covered by that event.

The view id is an HMAC, under the deployment's secret key, of the browser session's
CSRF token and what was shown (e.g. ``session:12``, or the board's clinic and the
patients on it). It needs no state, so every server process recognises it; it lasts
as long as the browser session (a new sign-in has a new CSRF token); and a board
whose patients changed since the recorded view asks for a new event, because its
old view id no longer matches.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

POLL_HEADER = "X-KetaClinic-Poll"


def is_poll(request: Request) -> bool:
    return bool(request.headers.get(POLL_HEADER))


def view_id(request: Request, shown: str) -> str:
    """The id of this opening of ``shown`` for this browser session ("1" when the
    caller has no browser session, e.g. an API token: then every poll is recorded)."""
    principal = getattr(request.state, "principal", None)
    csrf = getattr(principal, "csrf_token", None)
    return view_id_for(request, csrf, shown) if csrf else "1"


def view_id_for(request: Request, holder: str, shown: str) -> str:
    """The view id for a viewer identified by ``holder`` (a browser session's CSRF
    token, or a wall screen's stored token hash)."""
    key = str(request.app.state.secret_key).encode()
    message = f"view\n{holder}\n{shown}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def covered(request: Request, shown: str) -> bool:
    """Is this a poll within an opening of ``shown`` already on record?"""
    expected = view_id(request, shown)
    return expected != "1" and hmac.compare_digest(request.headers.get(POLL_HEADER, ""), expected)


def covered_for(request: Request, holder: str, shown: str) -> bool:
    expected = view_id_for(request, holder, shown)
    return hmac.compare_digest(request.headers.get(POLL_HEADER, ""), expected)
