"""/admin/tokens: every API token of the administrator's staff, and Revoke."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth import staff
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, render

router = APIRouter(prefix="/admin/tokens", include_in_schema=False)


@router.get("")
def tokens_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    return render(
        request,
        "admin/tokens.html",
        {
            "rows": staff.list_tokens(db, principal),
            "timezone": request.app.state.settings.timezone,
        },
    )


@router.post("/{token_id}/revoke")
def token_revoke(principal: CurrentPrincipal, db: DbSession, token_id: Id) -> Response:
    staff.revoke_token(db, principal, token_id)
    return RedirectResponse(f"/admin/tokens#token-{token_id}", status_code=303)
