"""An API token's last use is written at most once a minute, so requests sharing a
token do not queue behind each other's write of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ketaclinic.auth.models import ApiToken, Membership
from ketaclinic.auth.service import (
    create_api_token,
    create_user,
    principal_for_token,
    user_for_token,
)
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
from ketaclinic.kit.time import as_utc, utcnow
from tests.conftest import PASSWORD, Persona

Api = Callable[[Persona], TestClient]


def _last_used(db: Session, persona: Persona) -> object:
    db.expire_all()
    return db.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == persona.user.id))


def test_it_notes_a_token_s_use_at_most_once_a_minute(
    api: Api, nurse: Persona, db: Session
) -> None:
    client = api(nurse)
    assert _last_used(db, nurse) is None
    assert client.get("/api/v1/patients").status_code == 200
    first = _last_used(db, nurse)
    assert first is not None and abs(as_utc(first) - utcnow()) < timedelta(seconds=30)  # type: ignore[arg-type]
    with time_machine.travel(utcnow() + timedelta(seconds=40), tick=False):
        assert client.get("/api/v1/patients").status_code == 200
        assert _last_used(db, nurse) == first  # fresh: not written again
    with time_machine.travel(utcnow() + timedelta(seconds=90), tick=False):
        assert client.get("/api/v1/patients").status_code == 200
        later = _last_used(db, nurse)
        assert later is not None and as_utc(later) > as_utc(first)  # type: ignore[arg-type]


def test_it_writes_the_last_use_outside_the_request_s_transaction(fresh_url: str) -> None:
    """Against a real engine: the request rolls back, the note of the token's use stays
    (written in a short transaction of its own, so the request holds no lock for it)."""
    engine = make_engine(fresh_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as db:
            set_visible_clinics(db, "*")
            clinic = create_clinic(db, slug="tok", name="Token Clinic", timezone="America/Chicago")
            user = create_user(
                db,
                email="t@tok.example.org",
                name="T",
                password=PASSWORD,
                role="nurse",
                clinic=clinic,
            )
            token = create_api_token(db, user)
            db.commit()
        with sessions() as db:
            assert user_for_token(db, token) is not None
            db.rollback()  # the request failed
        with sessions() as db:
            kept = db.scalar(select(ApiToken.last_used_at).where(ApiToken.user_id == user.id))
        assert kept is not None
    finally:
        engine.dispose()


def test_it_authenticates_a_token_in_one_statement(api: Api, nurse: Persona, db: Session) -> None:
    """The token, its user and the user's clinics in one query (it was three), then,
    on PostgreSQL, the visible clinics for row-level security."""
    from sqlalchemy import event

    client = api(nurse)
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/patients").status_code == 200  # notes the token's use
    statements: list[str] = []
    engine = db.get_bind()

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get("/api/v1/patients").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    before_handler = [s for s in statements if "api_tokens" in s or "memberships" in s]
    assert len(before_handler) == 1
    assert "users" in before_handler[0]


def test_it_makes_the_token_user_s_clinics_visible_in_the_same_statement(
    nurse: Persona, other_clinic: Clinic, db: Session
) -> None:
    """On PostgreSQL the token's statement also sets the clinics row-level security
    shows (one statement less per API request); an unknown token changes nothing."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("row-level security is a PostgreSQL feature")
    db.add(Membership(user_id=nurse.user.id, clinic_id=other_clinic.id, role="nurse"))
    db.flush()

    def visible() -> str:
        return str(db.scalar(text("SELECT current_setting('ketaclinic.clinic_ids', true)")))

    db.execute(text("SELECT set_config('ketaclinic.clinic_ids', 'untouched', true)"))
    assert principal_for_token(db, "kc_not_a_token") is None
    assert visible() == "untouched"
    principal = principal_for_token(db, nurse.token)
    assert principal is not None
    assert set(visible().split(",")) == {str(nurse.clinic.id), str(other_clinic.id)}
    assert set(principal.roles) == {nurse.clinic.id, other_clinic.id}
