"""Routers that cannot match a path are skipped (kit.routing); every path still finds
the route it found before: the same route, the same partial match (405), the same
miss, in the same order."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from fastapi.testclient import TestClient
from starlette.routing import Match

from ketaclinic.app import declared_routes

METHODS = ("GET", "POST", "PATCH", "DELETE", "PUT")


def _sample_paths(app: FastAPI) -> set[str]:
    """Each declared route's path with its parameters filled in (a number, a word),
    the same with a trailing slash and one segment more, and a few strays."""
    paths = {"/", "/nowhere", "/api", "/api/", "/api/v1", "/api/v1/", "/static/app.css"}
    for _, template in declared_routes(app):
        for value in ("1", "word"):
            path = re.sub(r"\{[^}]+\}", value, template)
            paths |= {path, path + "/", path + "/extra", path.rstrip("/") + "x"}
    return paths


def _outcome(app: FastAPI, path: str, method: str, guarded: bool) -> tuple[Any, ...]:
    """The first full match (else the first partial) of the app's router, as
    Starlette looks for it; ``guarded=False`` asks each router the original way.
    (An included router answers with its match alone; the route in it is found
    by the router itself afterwards, guarded or not.)"""
    scope = {"type": "http", "path": path, "root_path": "", "method": method, "app": app}
    partial = None
    for index, route in enumerate(app.router.routes):
        if guarded or not isinstance(route, _IncludedRouter):
            match, child = route.matches(dict(scope))
        else:
            match, child = type(route).matches(route, dict(scope))
        found = (index, child.get("route"), child.get("endpoint"), child.get("path_params"))
        if match == Match.FULL:
            return ("full", *found)
        if match == Match.PARTIAL and partial is None:
            partial = ("partial", *found)
    return partial or ("none",)


def test_it_finds_the_same_route_for_every_path_and_method(app: FastAPI) -> None:
    guarded = [r for r in app.router.routes if "matches" in vars(r)]
    assert len(guarded) == sum(isinstance(r, _IncludedRouter) for r in app.router.routes)
    checked = 0
    for path in sorted(_sample_paths(app)):
        for method in METHODS:
            expected = _outcome(app, path, method, guarded=False)
            assert _outcome(app, path, method, guarded=True) == expected, (method, path)
            checked += expected[0] != "none"
    assert checked > 400


def test_it_skips_a_router_that_cannot_match_the_path(app: FastAPI) -> None:
    scope = {"type": "http", "path": "/healthz", "root_path": "", "method": "GET", "app": app}
    for route in app.router.routes:
        if isinstance(route, _IncludedRouter):
            assert route.matches(dict(scope)) == (Match.NONE, {})


def test_it_matches_a_route_added_to_a_router_afterwards(app: FastAPI) -> None:
    included = next(r for r in app.router.routes if isinstance(r, _IncludedRouter))
    router = included.original_router
    router.add_api_route("/_test/added-later", lambda: {"ok": True}, methods=["GET"])
    try:
        path = router.prefix + "/_test/added-later"
        scope = {"type": "http", "path": path, "root_path": "", "method": "GET", "app": app}
        assert included.matches(scope)[0] == Match.FULL
    finally:
        router.routes.pop()


def test_it_still_answers_405_and_404_in_the_envelope(client: TestClient) -> None:
    wrong_method = client.put("/api/v1/patients")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"]
    assert client.get("/api/v1/nowhere").json()["error"]["code"] == "not_found"
