"""The role matrix page shows the table the server enforces."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from ketaclinic.identity.roles import ROLE_MATRIX
from ketaclinic.identity.routes import ROUTE_RULES
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def test_it_shows_every_permission_and_route(api: Api, admin: Persona) -> None:
    page = api(admin).get("/admin/roles")
    assert page.status_code == 200
    for permission in ROLE_MATRIX:
        assert permission.value in page.text
    for route in ROUTE_RULES:
        assert route.replace("{", "").split("}")[0].split(" ")[1] in page.text.replace("{", "")
    # One tick per granted (permission, role) pair.
    assert page.text.count('aria-label="allowed"') == sum(len(r) for r in ROLE_MATRIX.values())


def test_it_is_for_admins_only(api: Api, prescriber: Persona) -> None:
    assert api(prescriber).get("/admin/roles").status_code == 403
