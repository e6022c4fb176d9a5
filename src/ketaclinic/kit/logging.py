"""Structured JSON logs with a request id. Never log patient data: log ids and
outcomes, not names, bodies or query strings."""

from __future__ import annotations

import logging
import sys
import time
import uuid

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def configure_logging(*, json: bool = True, level: str = "INFO") -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


log = structlog.get_logger("ketaclinic")


class RequestLogging:
    """Pure ASGI: a request id for every request (``X-Request-ID`` in, or a new one;
    on ``request.state`` and the response), and one log line when it is answered.

    Not ``BaseHTTPMiddleware``: that runs the app in a separate task behind a memory
    stream and costs about a millisecond per request (issue 17, point 14)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")[:64]
        request_id = given or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500  # unless the app answers: an exception escaping is a 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            principal = state.get("principal")
            # The route template (/api/v1/patients/{patient_id}), not the raw path.
            log.info(
                "request",
                method=scope["method"],
                route=getattr(scope.get("route"), "path", "unmatched"),
                status=status,
                user_id=getattr(principal, "user_id", None),
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
