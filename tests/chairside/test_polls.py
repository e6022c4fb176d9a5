"""Pages that poll: a tablet left on the board or a session is signed out after the
idle limit like any other, and its polls add no read to the audit trail beyond the
page's opening (issue 19, point 6)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.appointments.models import Chair
from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.models import StaffSession
from ketaclinic.auth.polls import POLL_HEADER
from tests.appointments.conftest import signed_plan
from tests.auth.test_login import login
from tests.chairside.conftest import Api, Chairside, book_now
from tests.conftest import Persona


def _poll_headers(page: str, element_id: str) -> dict[str, str]:
    """The headers htmx sends when the page's polling element fires."""
    found = re.search(rf'id="{element_id}"[^>]*hx-headers=\'([^\']+)\'', page)
    assert found, f"no polling element #{element_id}"
    return {"HX-Request": "true", **json.loads(found.group(1))}


def _events(db: Session, action: str) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def _idle_for(db: Session, persona: Persona, idle: timedelta) -> None:
    row = db.scalars(select(StaffSession).where(StaffSession.user_id == persona.user.id)).one()
    row.last_seen_at = row.last_seen_at - idle
    db.commit()


def _session_id(api: Api, nurse: Persona, c: Chairside) -> int:
    s = api(nurse).post(f"/api/v1/appointments/{c.appointment_id}/session", json={})
    return int(s.json()["id"])


def test_it_signs_out_a_tablet_left_polling_the_board(
    client: TestClient, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    login(client, nurse.email)
    headers = _poll_headers(client.get("/board").text, "board-rows")
    _idle_for(db, nurse, timedelta(minutes=10))
    assert client.get("/board/rows", headers=headers).status_code == 200
    _idle_for(db, nurse, timedelta(minutes=6))  # 16 minutes since anyone touched it
    from_page = headers | {"HX-Current-URL": "http://testserver/board"}
    signed_out = client.get("/board/rows", headers=from_page, follow_redirects=False)
    assert signed_out.headers.get("HX-Redirect") == "/login?next=/board"  # back to the page


def test_it_keeps_a_session_alive_for_a_click_but_not_for_a_poll(
    client: TestClient, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    login(client, nurse.email)
    headers = _poll_headers(client.get("/board").text, "board-rows")
    _idle_for(db, nurse, timedelta(minutes=10))
    client.get("/board/rows", headers=headers)
    row = db.scalars(select(StaffSession).where(StaffSession.user_id == nurse.user.id)).one()
    polled_seen = row.last_seen_at
    client.get("/board")  # a person opening the page
    db.refresh(row)
    assert row.last_seen_at > polled_seen


def test_it_records_one_board_read_per_opening_not_per_poll(
    client: TestClient, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    login(client, nurse.email)
    before = _events(db, "board.viewed")
    headers = _poll_headers(client.get("/board").text, "board-rows")
    for _ in range(4):
        assert client.get("/board/rows", headers=headers).status_code == 200
    assert _events(db, "board.viewed") == before + 1
    client.get("/board")  # opened again: a new read
    assert _events(db, "board.viewed") == before + 2


def test_it_records_a_new_board_read_when_new_patients_appear_on_it(
    client: TestClient,
    db: Session,
    api: Api,
    nurse: Persona,
    prescriber: Persona,
    front_desk: Persona,
    chairside: Chairside,
) -> None:
    login(client, nurse.email)
    headers = _poll_headers(client.get("/board").text, "board-rows")
    before = _events(db, "board.viewed")
    chair = Chair(clinic_id=nurse.clinic.id, name="Chair 2")
    db.add(chair)
    db.commit()
    pid, plan = signed_plan(api, nurse, prescriber, given_name="Ines")  # another person
    book_now(db, front_desk, pid, plan, chair)
    polled = client.get("/board/rows", headers=headers)
    assert _events(db, "board.viewed") == before + 1  # someone new is on the screen
    again = _poll_headers(polled.text, "board-rows")
    assert again != headers
    client.get("/board/rows", headers=again)
    assert _events(db, "board.viewed") == before + 1


def test_it_records_a_poll_that_carries_no_view_of_this_session(
    client: TestClient, db: Session, nurse: Persona, chairside: Chairside
) -> None:
    login(client, nurse.email)
    before = _events(db, "board.viewed")
    forged = {"HX-Request": "true", POLL_HEADER: "0" * 32}
    client.get("/board/rows", headers=forged)
    client.get("/board/rows")
    assert _events(db, "board.viewed") == before + 2


def test_it_records_one_chart_read_per_session_page_opening(
    client: TestClient, db: Session, api: Api, nurse: Persona, chairside: Chairside
) -> None:
    sid = _session_id(api, nurse, chairside)
    login(client, nurse.email)
    before = _events(db, "patient.read")
    page = client.get(f"/sessions/{sid}").text
    headers = _poll_headers(page, "session-status")
    for _ in range(4):
        polled = client.get(f"/sessions/{sid}/status", headers=headers)
        assert polled.status_code == 200 and 'id="state"' in polled.text
    assert _events(db, "patient.read") == before + 1
    # The poll's answer carries the same view id for the next poll.
    assert _poll_headers(polled.text, "session-status") == headers


def test_it_does_not_let_one_sessions_view_cover_another(
    client: TestClient, db: Session, api: Api, nurse: Persona, chairside: Chairside
) -> None:
    sid = _session_id(api, nurse, chairside)
    login(client, nurse.email)
    board_headers = _poll_headers(client.get("/board").text, "board-rows")
    before = _events(db, "patient.read")
    client.get(f"/sessions/{sid}/status", headers=board_headers)
    assert _events(db, "patient.read") == before + 1
