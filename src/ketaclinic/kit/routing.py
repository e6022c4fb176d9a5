"""Finding a request's route without trying every route of every router.

The app's router tries its routes in order; an included router tries each of its
routes in turn, at a few microseconds each (FastAPI's bookkeeping around the path's
regular expression). With two dozen routers and two hundred routes, a request for a
route near the end of the list (``/healthz``, the patient API) spent most of a
millisecond matching: a third of ``/healthz``'s CPU (issue 17, point 14).

``skip_unmatchable_routers`` gives each included router one regular expression, the
union of its routes' own (as FastAPI compiles them, prefixes included): a path that
matches none of them cannot match the router, which then answers "no match" at once.
Any other path is matched by the router exactly as before, so the order of routers
and routes, partial matches (405) and slash redirects are unchanged. A router holding
anything but plain routes and routers (a mount, a websocket) is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Route, compile_path
from starlette.types import Scope

_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


def _patterns(
    routes: list[BaseRoute], prefix: str, lists: list[list[BaseRoute]]
) -> list[str] | None:
    """The path patterns of these routes under ``prefix``; None when one of them is
    not a plain route or router (its matching is left alone). ``lists`` collects the
    route lists read, to notice a route added later."""
    lists.append(routes)
    found: list[str] = []
    for route in routes:
        if isinstance(route, _IncludedRouter):
            inner = _patterns(
                route.original_router.routes, prefix + route.include_context.prefix, lists
            )
            if inner is None:
                return None
            found += inner
        elif isinstance(route, APIRoute | Route):
            regex = compile_path(prefix + route.path)[0]
            # Alternatives may not repeat a group's name; the groups are not read here.
            found.append(_NAMED_GROUP.sub("(?:", regex.pattern))
        else:
            return None
    return found


def _guarded(
    matches: Callable[[Scope], tuple[Match, Scope]],
    paths: re.Pattern[str],
    lists: list[list[BaseRoute]],
) -> Callable[[Scope], tuple[Match, Scope]]:
    sizes = [len(routes) for routes in lists]

    def guarded(scope: Scope) -> tuple[Match, Scope]:
        # Asked of every router on every request: no Python call it can do without.
        path = scope["path"] if not scope.get("root_path") else get_route_path(scope)
        if (
            scope["type"] == "http"
            and paths.match(path) is None
            # A route added since (a test's) is not in the union: match as before.
            and list(map(len, lists)) == sizes
        ):
            return Match.NONE, {}
        return matches(scope)

    return guarded


def skip_unmatchable_routers(app: FastAPI) -> int:
    """Guard each router included in ``app`` (see the module's text); returns how many."""
    guarded = 0
    for route in app.router.routes:
        if not isinstance(route, _IncludedRouter):
            continue
        lists: list[list[BaseRoute]] = []
        patterns = _patterns(route.original_router.routes, route.include_context.prefix, lists)
        if not patterns:
            continue
        union = re.compile("|".join(f"(?:{p})" for p in patterns))
        router: Any = route
        router.matches = _guarded(route.matches, union, lists)
        guarded += 1
    return guarded
