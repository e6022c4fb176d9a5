"""Sign-in throttling: accounts lock after failures in a row, busy addresses get 429,
and passwords must be long enough."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.models import LoginFailure, User
from ketaclinic.auth.service import create_user
from ketaclinic.cli import app as cli_app
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import utcnow, wall_seconds
from tests.auth.test_login import login
from tests.auth.test_mfa import enrol, second_factor, wrong_code
from tests.conftest import PASSWORD, Persona

WRONG = "not the password at all"


def fail(client: TestClient, email: str, times: int) -> None:
    for _ in range(times):
        assert login(client, email, WRONG).status_code == 401


def error_of(html: str) -> str:
    match = re.search(r'<p class="alert" role="alert">([^<]*)</p>', html)
    assert match
    return match.group(1)


def events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_it_locks_an_account_after_repeated_failures(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    fail(client, nurse.email, 4)
    db.refresh(nurse.user)
    assert nurse.user.locked_at is None and nurse.user.failed_logins == 4
    fail(client, nurse.email, 1)
    db.refresh(nurse.user)
    assert nurse.user.locked_at is not None

    right = login(client, nurse.email, PASSWORD)
    assert right.status_code == 401
    assert "kc_session" not in client.cookies


def test_it_audits_failures_and_the_lock_without_the_password(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    fail(client, nurse.email, 5)
    failed = events(db, "auth.login_failed")
    assert len(failed) == 5
    assert {e.outcome for e in failed} == {"denied"}
    assert failed[0].resource_id == str(nurse.user.id)
    assert failed[0].channel == "web" and failed[0].ip == "testclient"
    assert all(WRONG not in e.detail for e in failed)
    (locked,) = events(db, "auth.locked")
    assert locked.resource_id == str(nurse.user.id) and locked.outcome == "denied"


def test_it_answers_a_locked_account_like_a_wrong_password(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    fail(client, nurse.email, 5)
    locked = login(client, nurse.email, PASSWORD)
    unknown = login(client, "nobody@lakeside.example.org", PASSWORD)
    wrong = login(client, nurse.email, WRONG)
    assert locked.status_code == unknown.status_code == wrong.status_code == 401
    assert error_of(locked.text) == error_of(unknown.text) == error_of(wrong.text)
    assert "an administrator can unlock it" in error_of(locked.text)


def test_it_forgets_failures_after_a_success(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    fail(client, nurse.email, 4)
    assert login(client, nurse.email).status_code == 303
    db.refresh(nurse.user)
    assert nurse.user.failed_logins == 0
    fail(client, nurse.email, 4)
    db.refresh(nurse.user)
    assert nurse.user.locked_at is None


def test_it_ends_open_sessions_when_an_account_locks(
    app: FastAPI, client: TestClient, nurse: Persona
) -> None:
    assert login(client, nurse.email).status_code == 303
    with TestClient(app) as guesser:
        fail(guesser, nurse.email, 5)
    assert client.get("/patients", follow_redirects=False).status_code == 303


def test_it_counts_wrong_second_factor_codes_toward_the_lock(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    secret, _codes = enrol(client, nurse)
    login(client, nurse.email)
    for _ in range(4):
        assert second_factor(client, wrong_code(secret)).status_code == 401
    locked = second_factor(client, wrong_code(secret))
    assert locked.status_code == 401
    assert "account is now locked" in locked.text
    db.refresh(nurse.user)
    assert nurse.user.locked_at is not None
    assert login(client, nurse.email).status_code == 401


def test_it_refuses_a_busy_address_with_429_before_checking_the_password(
    app: FastAPI, client: TestClient, nurse: Persona, db: Session
) -> None:
    app.state.settings.ip_failure_limit = 3
    fail(client, "nobody@lakeside.example.org", 2)
    fail(client, nurse.email, 1)
    refused = login(client, nurse.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this network" in refused.text
    assert "kc_session" not in client.cookies
    db.refresh(nurse.user)
    assert nurse.user.failed_logins == 1  # the refused attempt was never tried
    reasons = [e.detail for e in events(db, "auth.login_failed")]
    assert any("ip_throttled" in d for d in reasons)

    # Once the failures are older than the window, the address may try again.
    db.execute(update(LoginFailure).values(failed_at=utcnow() - timedelta(minutes=16)))
    db.commit()
    assert login(client, nurse.email, PASSWORD).status_code == 303


def test_it_keeps_failure_rows_for_a_day_at_most(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    db.add(LoginFailure(ip="192.0.2.1", email="", failed_at=utcnow() - timedelta(days=2)))
    db.commit()
    fail(client, nurse.email, 1)
    assert db.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_it_unlocks_from_the_command_line(cli_session: Session, cli_user: User) -> None:
    cli_session.execute(
        update(User).where(User.id == cli_user.id).values(locked_at=utcnow(), failed_logins=7)
    )
    cli_session.commit()
    result = CliRunner().invoke(cli_app, ["user", "unlock", "--email", cli_user.email])
    assert result.exit_code == 0, result.output
    assert "Unlocked" in result.stdout
    cli_session.expire_all()
    user = cli_session.get(User, cli_user.id)
    assert user is not None and user.locked_at is None and user.failed_logins == 0
    (event,) = cli_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.unlocked"))
    assert event.channel == "cli" and event.actor.startswith("cli:")


def test_it_names_an_unknown_email_on_the_command_line(cli_session: Session) -> None:
    result = CliRunner().invoke(cli_app, ["user", "unlock", "--email", "who@nowhere.example.org"])
    assert result.exit_code == 2
    assert "No user" in result.stderr


def test_it_refuses_a_short_password_naming_the_field(db: Session, clinic: Clinic) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_user(
            db,
            email="a@lakeside.example.org",
            name="A",
            password="eleven-char",
            role="nurse",
            clinic=clinic,
        )
    assert refused.value.fields == {"password": "must be at least 12 characters"}


def test_it_accepts_the_demo_password(db: Session, clinic: Clinic) -> None:
    user = create_user(
        db,
        email="b@lakeside.example.org",
        name="B",
        password="ketamine-demo-2026",
        role="nurse",
        clinic=clinic,
    )
    assert user.id


def test_it_takes_the_minimum_length_from_the_setting(
    db: Session, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ketaclinic.settings import get_settings

    monkeypatch.setenv("KETACLINIC_PASSWORD_MIN_LENGTH", "20")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationFailed) as refused:
            create_user(
                db,
                email="c@lakeside.example.org",
                name="C",
                password="ketamine-demo-2026",
                role="nurse",
                clinic=clinic,
            )
    finally:
        get_settings.cache_clear()
    assert refused.value.fields["password"] == "must be at least 20 characters"


def test_it_refuses_a_busy_address_at_the_second_factor_too(
    app: FastAPI, client: TestClient, nurse: Persona, db: Session
) -> None:
    secret, _codes = enrol(client, nurse)
    login(client, nurse.email)
    app.state.settings.ip_failure_limit = 2
    with TestClient(app) as elsewhere_on_the_network:
        fail(elsewhere_on_the_network, "nobody@lakeside.example.org", 2)
    refused = second_factor(client, pyotp.TOTP(secret).at(wall_seconds() + 30))
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert client.get("/patients", follow_redirects=False).status_code == 303
