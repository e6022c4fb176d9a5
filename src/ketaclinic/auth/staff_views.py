"""The administrator's staff page: who works here, who has two-factor, who is
locked out, and the Unlock button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth import staff, throttle
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.auth.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, render

router = APIRouter(prefix="/admin/staff", include_in_schema=False)


@router.get("")
def staff_list(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    unlocked: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    clinic_ids = principal.require_any(Permission.STAFF_ADMIN)
    members = staff.list_staff(db, clinic_ids)
    just_unlocked = next((m for m in members if m.user.id == unlocked), None)
    return render(
        request,
        "auth/staff.html",
        {
            "members": members,
            "just_unlocked": just_unlocked,
            "many_clinics": len(clinic_ids) > 1,
            "timezone": request.app.state.settings.timezone,
        },
    )


@router.post("/{user_id}/unlock")
def staff_unlock(principal: CurrentPrincipal, db: DbSession, user_id: Id) -> Response:
    clinic_ids = principal.require_any(Permission.STAFF_ADMIN)
    user = staff.staff_member(db, user_id, clinic_ids)
    throttle.unlock(db, user, principal=principal, origin=principal.origin)
    return RedirectResponse(f"/admin/staff?unlocked={user.id}", status_code=303)
