"""The page a one-time link opens: a new staff member (invitation) or one whose
password an administrator reset sets their password. The link's token is the key:
no session, and nothing about the account is shown beyond its owner's name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from ketaclinic.auth import staff
from ketaclinic.auth.deps import origin_of
from ketaclinic.kit import forms
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.web import DbSession, Form, render

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(min_length=20, max_length=100)]


def _page(
    request: Request,
    info: staff.LinkInfo,
    token: str,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "auth/set_password.html",
        {
            "info": info,
            "token": token,
            "errors": errors,
            "min_length": request.app.state.settings.password_min_length,
        },
        status_code=status_code,
    )


@router.get(staff.LINK_PATH + "{token}")
def password_form(request: Request, db: DbSession, token: Token) -> Response:
    return _page(request, staff.link_info(db, token), token, {})


@router.post(staff.LINK_PATH + "{token}")
def password_set(request: Request, db: DbSession, token: Token, form: Form) -> Response:
    info = staff.link_info(db, token)
    try:
        staff.use_link(
            db,
            token,
            forms.raw(form, "password"),
            forms.raw(form, "confirm"),
            origin_of(request, "web"),
            request.app.state.settings.password_min_length,
        )
    except ValidationFailed as exc:
        return _page(request, info, token, dict(exc.fields), status_code=422)
    return RedirectResponse("/login", status_code=303)
