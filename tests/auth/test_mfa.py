"""Two-factor sign-in: enrolment with a QR code, TOTP codes, recovery codes."""

from __future__ import annotations

import hashlib
import re

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.mfa import new_recovery_codes
from ketaclinic.auth.models import RecoveryCode, StaffSession, User
from ketaclinic.cli import app as cli_app
from ketaclinic.kit.time import utcnow, wall_seconds
from tests.auth.test_login import login, page_csrf
from tests.conftest import PASSWORD, Persona


def secret_on_page(html: str) -> str:
    match = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html)
    assert match, "the page shows the key for manual entry"
    return match.group(1).replace(" ", "")


def next_code(secret: str) -> str:
    """The code of the next 30-second step: accepted (clock drift) and never the
    one just used to enrol, which would be refused as a replay."""
    return pyotp.TOTP(secret).at(wall_seconds() + 30)


def wrong_code(secret: str) -> str:
    """A six-digit code no step near now produces."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(wall_seconds() + 30 * step) for step in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def enrol(client: TestClient, persona: Persona) -> tuple[str, list[str]]:
    """Sign in, turn two-factor on, sign out. Returns the secret and recovery codes."""
    login(client, persona.email)
    secret = secret_on_page(client.get("/account/mfa").text)
    csrf = page_csrf(client, "/account/mfa")
    done = client.post("/account/mfa", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf})
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.text)
    client.post("/logout", data={"csrf_token": csrf})
    return secret, codes


def second_factor(client: TestClient, code: str) -> Response:
    page = client.get("/login/mfa")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return client.post(
        "/login/mfa",
        data={"code": code, "csrf_token": match.group(1), "next": "/patients"},
        follow_redirects=False,
    )


def actions(db: Session, user_id: int) -> list[str]:
    return list(
        db.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.resource_type == "user", AuditEvent.resource_id == str(user_id))
            .order_by(AuditEvent.id)
        )
    )


def test_it_shows_a_qr_code_and_the_key_to_type_in(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    login(client, nurse.email)
    page = client.get("/account/mfa")
    assert page.status_code == 200
    assert "<svg" in page.text and "<script" not in page.text.split("</head>")[1]
    secret = secret_on_page(page.text)
    assert len(secret) == 32
    # A reload shows the same key, so a half-finished scan still works.
    assert secret_on_page(client.get("/account/mfa").text) == secret
    db.refresh(nurse.user)
    assert nurse.user.totp_enabled_at is None


def test_it_turns_two_factor_on_and_shows_ten_recovery_codes_once(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    _secret, codes = enrol(client, nurse)
    assert len(codes) == len(set(codes)) == 10
    db.refresh(nurse.user)
    assert nurse.user.totp_enabled_at is not None
    stored = set(
        db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == nurse.user.id))
    )
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert "auth.mfa_enrolled" in actions(db, nurse.user.id)


def test_it_refuses_to_enrol_with_a_wrong_code(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    login(client, nurse.email)
    secret = secret_on_page(client.get("/account/mfa").text)
    response = client.post(
        "/account/mfa",
        data={"code": wrong_code(secret), "csrf_token": page_csrf(client, "/account/mfa")},
    )
    assert response.status_code == 422
    assert 'id="e-code"' in response.text
    assert secret_on_page(response.text) == secret
    db.refresh(nurse.user)
    assert nurse.user.totp_enabled_at is None


def test_it_asks_for_a_code_after_the_password(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    enrol(client, nurse)
    response = login(client, nurse.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/mfa?next=/patients"
    # Half signed in opens nothing.
    assert client.get("/patients", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me").status_code == 401
    pending = db.scalars(
        select(StaffSession).where(StaffSession.user_id == nurse.user.id).order_by(StaffSession.id)
    ).all()[-1]
    assert pending.mfa_passed is False


def test_it_signs_in_with_a_current_code(client: TestClient, nurse: Persona, db: Session) -> None:
    secret, _codes = enrol(client, nurse)
    login(client, nurse.email)
    response = second_factor(client, next_code(secret))
    assert response.status_code == 303
    assert response.headers["location"] == "/patients"
    assert client.get("/patients").status_code == 200
    assert actions(db, nurse.user.id)[-1] == "auth.login"


def test_it_refuses_a_wrong_code(client: TestClient, nurse: Persona, db: Session) -> None:
    secret, _codes = enrol(client, nurse)
    login(client, nurse.email)
    response = second_factor(client, wrong_code(secret))
    assert response.status_code == 401
    assert "That code is not right." in response.text
    assert client.get("/patients", follow_redirects=False).status_code == 303
    db.refresh(nurse.user)
    assert nurse.user.failed_logins == 1
    assert actions(db, nurse.user.id)[-1] == "auth.login_failed"


def test_it_refuses_a_code_that_was_already_used(client: TestClient, nurse: Persona) -> None:
    secret, _codes = enrol(client, nurse)
    code = next_code(secret)
    login(client, nurse.email)
    assert second_factor(client, code).status_code == 303
    client.post("/logout", data={"csrf_token": page_csrf(client)})
    login(client, nurse.email)
    replay = second_factor(client, code)
    assert replay.status_code == 401
    assert "already been used" in replay.text


def test_it_accepts_a_recovery_code_once(client: TestClient, nurse: Persona, db: Session) -> None:
    _secret, codes = enrol(client, nurse)
    login(client, nurse.email)
    assert second_factor(client, codes[0]).status_code == 303
    assert client.get("/patients").status_code == 200
    assert "auth.recovery_code_used" in actions(db, nurse.user.id)
    client.post("/logout", data={"csrf_token": page_csrf(client)})

    login(client, nurse.email)
    assert second_factor(client, codes[0]).status_code == 401
    # Typed as read off paper: capitals, no dash, spaces.
    typed = codes[1].replace("-", " ").upper()
    assert second_factor(client, typed).status_code == 303
    used = db.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == nurse.user.id, RecoveryCode.used_at.is_not(None)
        )
    ).all()
    assert len(used) == 2


def test_it_turns_two_factor_off_with_the_password_only(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    secret, _codes = enrol(client, nurse)
    login(client, nurse.email)
    second_factor(client, next_code(secret))
    csrf = page_csrf(client, "/account/mfa")
    wrong = client.post(
        "/account/mfa/disable", data={"proof": "not my password", "csrf_token": csrf}
    )
    assert wrong.status_code == 422
    assert 'id="e-proof"' in wrong.text
    db.refresh(nurse.user)
    assert nurse.user.totp_enabled_at is not None
    assert nurse.user.failed_logins == 1

    right = client.post(
        "/account/mfa/disable",
        data={"proof": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert right.status_code == 303
    db.refresh(nurse.user)
    assert nurse.user.totp_secret is None and nurse.user.totp_enabled_at is None
    assert db.scalars(select(RecoveryCode).where(RecoveryCode.user_id == nurse.user.id)).all() == []
    assert "auth.mfa_disabled" in actions(db, nurse.user.id)
    client.post("/logout", data={"csrf_token": csrf})
    assert login(client, nurse.email).headers["location"] == "/patients"


def test_it_turns_two_factor_off_with_a_current_code(
    client: TestClient, nurse: Persona, db: Session
) -> None:
    secret, codes = enrol(client, nurse)
    login(client, nurse.email)
    second_factor(client, codes[0])
    response = client.post(
        "/account/mfa/disable",
        data={"proof": next_code(secret), "csrf_token": page_csrf(client, "/account/mfa")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.refresh(nurse.user)
    assert nurse.user.totp_enabled_at is None


def test_it_sends_a_half_signed_in_visitor_back_to_the_password(client: TestClient) -> None:
    assert client.get("/login/mfa", follow_redirects=False).headers["location"] == "/login"
    posted = client.post("/login/mfa", data={"code": "123456"}, follow_redirects=False)
    assert posted.headers["location"] == "/login"


def test_it_requires_enrolment_when_the_setting_says_so(
    app: FastAPI, client: TestClient, nurse: Persona
) -> None:
    app.state.settings.require_mfa = True
    response = login(client, nurse.email)
    assert response.headers["location"] == "/account/mfa"
    for path in ("/patients", "/admin/staff", "/"):
        blocked = client.get(path, follow_redirects=True)
        assert blocked.url.path == "/account/mfa", path
    assert "requires two-factor" in client.get("/account/mfa").text
    htmx = client.get("/patients", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["HX-Redirect"] == "/account/mfa"

    secret = secret_on_page(client.get("/account/mfa").text)
    client.post(
        "/account/mfa",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": page_csrf(client, "/account/mfa")},
    )
    assert client.get("/patients", follow_redirects=False).status_code == 200


def test_it_lets_api_tokens_through_when_enrolment_is_required(
    app: FastAPI, api: object, nurse: Persona
) -> None:
    app.state.settings.require_mfa = True
    assert api(nurse).get("/api/v1/me").status_code == 200  # type: ignore[operator]


def test_it_resets_two_factor_from_the_command_line(cli_session: Session, cli_user: User) -> None:
    """For a lost phone with no recovery codes left: the administrator's last resort."""
    user = cli_session.get(User, cli_user.id)
    assert user is not None
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = utcnow()
    new_recovery_codes(cli_session, user)
    cli_session.commit()

    result = CliRunner().invoke(cli_app, ["user", "reset-mfa", "--email", user.email])
    assert result.exit_code == 0, result.output
    assert "Two-factor is off" in result.stdout
    cli_session.expire_all()
    assert user.totp_secret is None and user.totp_enabled_at is None
    assert cli_session.scalars(select(RecoveryCode)).all() == []
    (event,) = cli_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.mfa_disabled")
    )
    assert event.channel == "cli" and '"reason": "reset"' in event.detail


def test_it_requires_the_form_token_for_the_code(client: TestClient, nurse: Persona) -> None:
    secret, _codes = enrol(client, nurse)
    login(client, nurse.email)
    response = client.post("/login/mfa", data={"code": next_code(secret)}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/patients", follow_redirects=False).status_code == 303
