"""Requests in flight are no more than the database connections they can hold.

A request borrows one pooled connection at its first query and keeps it through its
threadpool steps (authorisation, the handler, the commit). With more requests in
flight than connections, requests holding a connection wait for a thread while the
threads wait for a connection: the server stalls until the pool's timeout. This pure
ASGI middleware admits at most ``slots`` requests at once (the pool holds ``slots``
connections plus a few for short side transactions); the rest wait their turn on
the event loop, which costs nothing, and are all served.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

# Connections beyond the slots: a request's own short side transaction (an API token's
# last use) borrows one briefly while holding its request's.
SIDE_CONNECTIONS = 4


def pool_arguments(slots: int) -> dict[str, int]:
    """The connection pool that matches ``slots`` requests in flight."""
    return {"pool_size": slots, "max_overflow": SIDE_CONNECTIONS}


class RequestSlots:
    def __init__(self, app: ASGIApp, slots: int) -> None:
        self.app = app
        self.slots = slots
        self._semaphore: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:  # made on the running loop
            self._semaphore = asyncio.Semaphore(self.slots)
        async with self._semaphore:
            await self.app(scope, receive, send)
