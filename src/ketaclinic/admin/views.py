"""Administration pages that are not about one record: /admin/roles, /admin/tokens,
/admin/settings (and their API under /api/v1/admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ketaclinic.admin import api, settings_views, tokens_views
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.identity.roles import (
    PERMISSION_DESCRIPTIONS,
    ROLE_DESCRIPTIONS,
    ROLE_MATRIX,
    Permission,
    Role,
)
from ketaclinic.identity.routes import ROUTE_RULES
from ketaclinic.kit.web import render

router = APIRouter()
pages = APIRouter(prefix="/admin", include_in_schema=False)


@pages.get("/roles")
def roles_page(request: Request, principal: CurrentPrincipal) -> Response:
    """The role matrix as the code enforces it: read from the same table."""
    routes: dict[str, list[str]] = {}
    for route, rule in ROUTE_RULES.items():
        routes.setdefault(str(rule), []).append(route)
    return render(
        request,
        "admin/roles.html",
        {
            "roles": list(Role),
            "role_descriptions": ROLE_DESCRIPTIONS,
            "permissions": list(Permission),
            "permission_descriptions": PERMISSION_DESCRIPTIONS,
            "matrix": ROLE_MATRIX,
            "routes": routes,
        },
    )


router.include_router(pages)
router.include_router(tokens_views.router)
router.include_router(settings_views.router)
router.include_router(api.router)
