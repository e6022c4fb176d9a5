"""Structured JSON logs with a request id. Never log patient data: log ids and
outcomes, not names, bodies or query strings."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import Response


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


async def request_logging(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    request.state.request_id = request_id
    started = time.perf_counter()
    response = await call_next(request)
    principal = getattr(request.state, "principal", None)
    # The route template (/api/v1/patients/{patient_id}), not the raw path with ids/queries.
    route = request.scope.get("route")
    log.info(
        "request",
        method=request.method,
        route=getattr(route, "path", "unmatched"),
        status=response.status_code,
        user_id=getattr(principal, "user_id", None),
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    response.headers["X-Request-ID"] = request_id
    return response
