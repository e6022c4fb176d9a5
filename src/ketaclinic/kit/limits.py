"""Limits before work: a pure ASGI middleware every request passes before the router.

- A body larger than the limit is refused with 413 before it is read past the limit,
  whether or not a Content-Length is sent (a 300 MB body costs the server 1 MiB);
  a query string longer than its limit with 414.
- An API request with a body and no credentials reaches its route without its body:
  authentication refuses it (401) before anything is parsed.
- Text with NUL or other control characters (tab, line feed and carriage return
  aside) in the query string, a JSON body or a form body is refused with 422 naming
  the field, before any handler runs: PostgreSQL cannot store NUL, and SQLite
  would, so both databases now see the same refusal. JSON nested too deeply to
  walk is refused too (422), rather than failing deep in the parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ketaclinic.kit.errors import FieldInvalid, KetaClinicError

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = "must not contain control characters"
TOO_DEEP = "is nested too deeply"


class ControlCharacters(FieldInvalid):
    code = "control_characters"
    default_message = MESSAGE


class NestedTooDeep(FieldInvalid):
    code = "nested_too_deep"
    default_message = TOO_DEEP


class BodyTooLarge(KetaClinicError):
    status_code = 413
    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than the {limit:,}-byte limit.")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a decoded JSON value with its dotted path (keys included)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            yield where, str(key)
            yield from _strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def control_character_field(query: bytes, body: bytes, content_type: str) -> str | None:
    """The first field whose text holds a control character, or None."""
    refused = refusal(query, body, content_type)
    return refused[0] if refused else None


def refusal(query: bytes, body: bytes, content_type: str) -> tuple[str, str] | None:
    """(field, message) for text the request may not carry, or None."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    for name, value in pairs:
        if CONTROL.search(name) or CONTROL.search(value):
            return CONTROL.sub("?", name) or "query", MESSAGE
    if not body:
        return None
    if content_type.startswith("application/json"):
        try:
            for path, text in _strings(json.loads(body), ""):
                if CONTROL.search(text):
                    return CONTROL.sub("?", path) or "body", MESSAGE
        except RecursionError:
            return "body", TOO_DEEP
        except ValueError:
            return None  # not JSON: the handler's own parsing answers 422
    elif content_type.startswith("application/x-www-form-urlencoded"):
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            if CONTROL.search(name) or CONTROL.search(value):
                return CONTROL.sub("?", name) or "body", MESSAGE
    return None


class QueryTooLong(KetaClinicError):
    status_code = 414
    code = "query_too_long"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The query string is longer than the {limit:,}-byte limit.")


WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


def anonymous_api_write(scope: Scope, headers: dict[str, str], session_cookie: str) -> bool:
    """An API request that carries a body but no credentials at all: it will be
    refused (401) whatever its body says, so the body is never read."""
    if not scope["path"].startswith("/api/") or scope["method"] in WITHOUT_BODY:
        return False
    if headers.get("authorization"):
        return False
    return f"{session_cookie}=" not in headers.get("cookie", "")


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_query_bytes: int = 8192,
        session_cookie: str = "kc_session",
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_query_bytes = max_query_bytes
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if len(scope.get("query_string", b"")) > self.max_query_bytes:
            await _refuse(scope, receive, send, QueryTooLong(self.max_query_bytes))
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _refuse(scope, receive, send, BodyTooLarge(self.max_body_bytes))
            return
        if anonymous_api_write(scope, headers, self.session_cookie):
            # Authentication comes before the body: the route's 401 (recorded on the
            # audit trail like any refusal) is answered without reading a byte of it.
            await self.app(scope, _no_body, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _refuse(scope, receive, send, BodyTooLarge(self.max_body_bytes))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        refused = refusal(scope.get("query_string", b""), body, headers.get("content-type", ""))
        if refused is not None:
            field, words = refused
            kind = NestedTooDeep if words == TOO_DEEP else ControlCharacters
            await _refuse(scope, receive, send, kind.on(field, words))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, error: KetaClinicError) -> None:
    """The app's own error rendering (JSON envelope for the API, a page for pages)."""
    from ketaclinic.app import render_error  # the app module imports this one

    response = await render_error(Request(scope, receive), error)
    if error.status_code == 413:
        response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, receive, send)
