"""Wall screens: an administrator makes a display link; the screen shows the board
with initials only, read only, with no one signed in; the link can be switched off;
making, opening and switching off are in the audit trail (issue 19, point 6)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import add_membership
from ketaclinic.chairside.displays import DisplayToken
from ketaclinic.clinics.models import Clinic
from tests.chairside.conftest import Api, Chairside
from tests.chairside.test_polls import _poll_headers
from tests.conftest import Persona, _persona


def _actions(db: Session) -> list[str]:
    db.expire_all()
    stmt = select(AuditEvent.action).where(AuditEvent.action.like("display.%"))
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def _make(api: Api, admin: Persona, label: str = "Infusion room") -> str:
    page = api(admin).post("/admin/displays", data={"label": label})
    assert page.status_code == 200, page.text
    found = re.search(r'value="https?://[^/"]+(/display/[^"]+)"', page.text)
    assert found, "the page shows the new link once"
    return found.group(1)


def test_it_shows_the_board_on_a_wall_screen_with_initials_only(
    app: FastAPI, api: Api, db: Session, admin: Persona, chairside: Chairside
) -> None:
    link = _make(api, admin)
    with TestClient(app) as screen:  # nobody signed in
        page = screen.get(link)
    assert page.status_code == 200
    assert "Chair 1" in page.text and "M. L." in page.text
    assert "Lindqvist" not in page.text and "Maya" not in page.text
    assert "<form" not in page.text and 'href="/sessions' not in page.text
    assert 'aria-label="Main"' not in page.text  # no staff navigation either
    assert _actions(db) == ["display.created", "display.opened"]


def test_it_keeps_only_the_tokens_hash(api: Api, db: Session, admin: Persona) -> None:
    token = _make(api, admin).rsplit("/", 1)[1]
    row = db.scalars(select(DisplayToken)).one()
    assert row.token_hash != token and len(row.token_hash) == 64
    assert token not in api(admin).get("/admin/displays").text  # shown once only


def test_it_records_a_screens_polls_only_when_other_patients_come_on_screen(
    app: FastAPI, api: Api, db: Session, admin: Persona, chairside: Chairside
) -> None:
    link = _make(api, admin)
    with TestClient(app) as screen:
        headers = _poll_headers(screen.get(link).text, "board-rows")
        for _ in range(3):
            polled = screen.get(f"{link}/rows", headers=headers)
            assert polled.status_code == 200 and "M. L." in polled.text
        assert _actions(db) == ["display.created", "display.opened"]
        screen.get(f"{link}/rows", headers={"HX-Request": "true"})  # no view: recorded
    assert _actions(db)[-1] == "display.viewed"


def test_it_switches_a_screen_off(
    app: FastAPI, api: Api, db: Session, admin: Persona, chairside: Chairside
) -> None:
    link = _make(api, admin)
    display_id = db.scalars(select(DisplayToken.id)).one()
    revoked = api(admin).post(f"/admin/displays/{display_id}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    with TestClient(app) as screen:
        off = screen.get(link)
        polled = screen.get(f"{link}/rows", headers={"HX-Request": "true"})
    assert off.status_code == 410 and "switched off" in off.text
    assert "M. L." not in off.text
    assert "switched off" in polled.text and "hx-trigger" not in polled.text  # polling stops
    assert _actions(db) == [
        "display.created",
        "display.revoked",
        "display.refused",
        "display.refused",
    ]
    assert "switched off" in api(admin).get("/admin/displays").text


def test_it_knows_no_made_up_link(app: FastAPI) -> None:
    with TestClient(app) as screen:
        assert screen.get("/display/not-a-real-token").status_code == 404


def test_it_asks_for_a_name_for_the_screen(api: Api, db: Session, admin: Persona) -> None:
    page = api(admin).post("/admin/displays", data={"label": "  "})
    assert page.status_code == 422 and "name the screen" in page.text
    assert db.scalars(select(DisplayToken)).all() == []


def test_it_lets_only_the_clinics_administrator_switch_its_screens_off(
    api: Api, db: Session, admin: Persona, nurse: Persona, other_clinic: object
) -> None:
    _make(api, admin)
    display_id = db.scalars(select(DisplayToken.id)).one()
    elsewhere = _persona(db, "admin", other_clinic, "Eli Elsewhere")  # type: ignore[arg-type]
    url = f"/admin/displays/{display_id}/revoke"
    assert api(nurse).post(url).status_code == 403
    assert api(elsewhere).post(url).status_code == 404
    assert api(nurse).get("/admin/displays").status_code == 403
    assert db.scalars(select(DisplayToken.revoked_at)).one() is None


def test_it_makes_a_screen_for_the_clinic_named_never_the_first(
    api: Api, db: Session, admin: Persona, other_clinic: Clinic
) -> None:
    add_membership(db, admin.user, other_clinic, "admin")
    db.commit()
    assert 'name="clinic_id"' in api(admin).get("/admin/displays").text  # a choice to make
    unnamed = api(admin).post("/admin/displays", data={"label": "Hall"})
    assert unnamed.status_code == 422 and "more than one clinic" in unnamed.text
    assert db.scalars(select(DisplayToken)).all() == []
    named = {"label": "Hall", "clinic_id": str(other_clinic.id)}
    assert api(admin).post("/admin/displays", data=named).status_code == 200
    assert db.scalars(select(DisplayToken.clinic_id)).one() == other_clinic.id
