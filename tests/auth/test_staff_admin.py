"""An administrator runs the clinic's staff: invitation by a one-time link, the new
person setting their password, deactivation (sessions and tokens end at once),
roles per clinic with the last administrator kept, password and two-factor resets,
API tokens listed and revoked. Every change audited."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth import staff
from ketaclinic.auth.models import ApiToken, StaffLink, StaffSession, User
from ketaclinic.auth.service import add_membership, principal_for
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin
from ketaclinic.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ketaclinic.kit.time import utcnow
from tests.auth.test_login import login, page_csrf
from tests.conftest import PASSWORD, Persona

NEW_PASSWORD = "a brand new passphrase"


def events(db: Session, action: str, clinic_id: int | None = None) -> list[AuditEvent]:
    """The events of ``action`` (written when the change commits), oldest first; on
    ``clinic_id``'s trail when given (served tests commit events of their own)."""
    db.commit()
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if clinic_id is not None:
        stmt = stmt.where(AuditEvent.clinic_id == clinic_id)
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def detail(event: AuditEvent) -> dict[str, Any]:
    return dict(json.loads(event.detail))


def invite(db: Session, admin: Persona, clinic: Clinic, role: str = "nurse") -> tuple[User, str]:
    who = principal_for(db, admin.user)
    return staff.invite(
        db, who, email="Noor.New@Example.org", name=" Noor New ", clinic_id=clinic.id, role=role
    )


def test_it_invites_someone_who_sets_a_password_once_from_the_link(
    db: Session, admin: Persona, clinic: Clinic
) -> None:
    user, token = invite(db, admin, clinic)
    assert user.email == "noor.new@example.org" and user.name == "Noor New"
    assert staff.roles_of(db, user.id) == {clinic.id: "nurse"}
    link = db.scalars(select(StaffLink).where(StaffLink.user_id == user.id)).one()
    assert link.token_hash != token and len(link.token_hash) == 64  # only its hash is kept
    assert staff.link_info(db, token).purpose == "invitation"
    with pytest.raises(ValidationFailed) as short:
        staff.use_link(db, token, "short", "short", Origin())
    assert "password" in short.value.fields
    with pytest.raises(ValidationFailed) as mismatch:
        staff.use_link(db, token, NEW_PASSWORD, NEW_PASSWORD + "!", Origin())
    assert "confirm" in mismatch.value.fields
    staff.use_link(db, token, NEW_PASSWORD, NEW_PASSWORD, Origin(channel="web"))
    assert user.password_hash.startswith("$argon2id$")
    with pytest.raises(NotFound):
        staff.use_link(db, token, NEW_PASSWORD, NEW_PASSWORD, Origin())
    (invited,) = events(db, "staff.invited")
    assert invited.clinic_id == clinic.id and invited.user_id == admin.user.id
    assert events(db, "staff.password_set")[0].actor == user.email


def test_it_refuses_an_expired_link(db: Session, admin: Persona, clinic: Clinic) -> None:
    _, token = invite(db, admin, clinic)
    with time_machine.travel(utcnow() + timedelta(days=7, seconds=1)), pytest.raises(NotFound):
        staff.link_info(db, token)


def test_it_refuses_an_invitation_for_an_email_that_has_an_account(
    db: Session, admin: Persona, nurse: Persona, clinic: Clinic
) -> None:
    who = principal_for(db, admin.user)
    with pytest.raises(Conflict):
        staff.invite(db, who, email=nurse.email, name="Again", clinic_id=clinic.id, role="nurse")
    with pytest.raises(ValidationFailed) as bad:
        staff.invite(db, who, email="nope", name="", clinic_id=clinic.id, role="wizard")
    assert set(bad.value.fields) == {"email", "name", "role"}


def test_it_lets_no_one_but_the_clinics_admin_invite(
    db: Session, nurse: Persona, admin: Persona, other_clinic: Clinic
) -> None:
    with pytest.raises(Forbidden):
        invite(db, nurse, nurse.clinic)
    with pytest.raises(Forbidden):
        invite(db, admin, other_clinic)


def test_it_deactivates_ending_sessions_and_tokens_at_once(
    app: FastAPI, db: Session, admin: Persona, nurse: Persona
) -> None:
    with TestClient(app) as tablet:
        assert login(tablet, nurse.email).status_code == 303
        assert tablet.get("/patients").status_code == 200
        staff.deactivate(db, principal_for(db, admin.user), nurse.user.id)
        db.commit()
        assert tablet.get("/patients", follow_redirects=False).status_code == 303
    token = TestClient(app, headers={"Authorization": f"Bearer {nurse.token}"})
    assert token.get("/api/v1/patients").status_code == 401
    assert db.scalars(
        select(StaffSession.ended_at).where(StaffSession.user_id == nurse.user.id)
    ).all()
    assert all(
        t.revoked_at for t in db.scalars(select(ApiToken).where(ApiToken.user_id == nurse.user.id))
    )
    with TestClient(app) as again:
        assert login(again, nurse.email).status_code != 303
    (event,) = events(db, "staff.deactivated")
    assert detail(event)["sessions_ended"] == 1 and detail(event)["tokens_revoked"] == 1
    staff.reactivate(db, principal_for(db, admin.user), nurse.user.id)
    db.commit()
    with TestClient(app) as back:
        assert login(back, nurse.email).status_code == 303
    assert events(db, "staff.reactivated")


def test_it_keeps_the_last_admin_of_a_clinic(
    db: Session, admin: Persona, nurse: Persona, clinic: Clinic
) -> None:
    who = principal_for(db, admin.user)
    with pytest.raises(Conflict, match="no administrator left"):
        staff.set_role(db, who, admin.user.id, clinic.id, "nurse")
    with pytest.raises(Conflict, match="your own account"):
        staff.deactivate(db, who, admin.user.id)
    staff.set_role(db, who, nurse.user.id, clinic.id, "admin")
    # Now there are two: the first may step down, and the second is the last.
    staff.set_role(db, who, admin.user.id, clinic.id, "prescriber")
    second = principal_for(db, nurse.user)
    with pytest.raises(Conflict):
        staff.set_role(db, second, nurse.user.id, clinic.id, "nurse")
    changed = events(db, "staff.role_changed", clinic.id)
    changes = [(detail(e)["old"], detail(e)["new"]) for e in changed]
    assert changes == [("nurse", "admin"), ("admin", "prescriber")]


def test_it_changes_a_role_in_one_clinic_only(
    db: Session, admin: Persona, nurse: Persona, clinic: Clinic, other_clinic: Clinic
) -> None:
    add_membership(db, admin.user, other_clinic, "admin")
    who = principal_for(db, admin.user)
    staff.set_role(db, who, nurse.user.id, other_clinic.id, "prescriber")
    assert staff.roles_of(db, nurse.user.id) == {clinic.id: "nurse", other_clinic.id: "prescriber"}
    staff.set_role(db, who, nurse.user.id, other_clinic.id, None)
    assert staff.roles_of(db, nurse.user.id) == {clinic.id: "nurse"}
    with pytest.raises(Conflict, match="only clinic"):
        staff.set_role(db, who, nurse.user.id, clinic.id, None)


def test_it_will_not_deactivate_someone_who_also_works_elsewhere(
    db: Session, admin: Persona, nurse: Persona, other_clinic: Clinic
) -> None:
    add_membership(db, nurse.user, other_clinic, "nurse")
    with pytest.raises(Forbidden, match="clinic you do not administer"):
        staff.deactivate(db, principal_for(db, admin.user), nurse.user.id)


def test_it_hides_other_clinics_staff(db: Session, admin: Persona, outsider: Persona) -> None:
    who = principal_for(db, admin.user)
    with pytest.raises(NotFound):
        staff.deactivate(db, who, outsider.user.id)
    with pytest.raises(NotFound):
        staff.reset_password(db, who, outsider.user.id)
    assert all(r.owner.id != outsider.user.id for r in staff.list_tokens(db, who))


def test_it_resets_a_password_by_a_link_that_ends_the_old_sessions(
    app: FastAPI, db: Session, admin: Persona, nurse: Persona
) -> None:
    _, first = staff.reset_password(db, principal_for(db, admin.user), nurse.user.id)
    _, token = staff.reset_password(db, principal_for(db, admin.user), nurse.user.id)
    with pytest.raises(NotFound):  # a newer link replaces the older one
        staff.link_info(db, first)
    db.commit()
    with TestClient(app) as tablet:
        assert login(tablet, nurse.email).status_code == 303  # the old password works meanwhile
        staff.use_link(db, token, NEW_PASSWORD, NEW_PASSWORD, Origin())
        db.commit()
        assert tablet.get("/patients", follow_redirects=False).status_code == 303
    with TestClient(app) as fresh:
        assert login(fresh, nurse.email).status_code != 303
        assert login(fresh, nurse.email, NEW_PASSWORD).status_code == 303


def test_it_resets_two_factor(db: Session, admin: Persona, nurse: Persona) -> None:
    nurse.user.totp_secret = "JBSWY3DPEHPK3PXP"
    nurse.user.totp_enabled_at = utcnow()
    staff.reset_mfa(db, principal_for(db, admin.user), nurse.user.id)
    assert nurse.user.totp_secret is None and nurse.user.totp_enabled_at is None
    (event,) = events(db, "auth.mfa_disabled")
    assert event.user_id == admin.user.id and detail(event)["was_on"] is True


def test_it_lists_and_revokes_api_tokens(
    app: FastAPI, db: Session, admin: Persona, nurse: Persona
) -> None:
    who = principal_for(db, admin.user)
    rows = staff.list_tokens(db, who)
    assert {r.owner.id for r in rows} >= {admin.user.id, nurse.user.id}
    mine = next(r.token for r in rows if r.owner.id == nurse.user.id)
    staff.revoke_token(db, who, mine.id)
    db.commit()
    token = TestClient(app, headers={"Authorization": f"Bearer {nurse.token}"})
    assert token.get("/api/v1/patients").status_code == 401
    (event,) = events(db, "auth.token_revoked")
    assert detail(event)["token"] == mine.prefix


# ---- the pages ---------------------------------------------------------------------


def test_it_invites_from_the_page_and_the_link_sets_the_password(
    client: TestClient, app: FastAPI, admin: Persona
) -> None:
    login(client, admin.email)
    form = client.get("/admin/staff/new")
    assert form.status_code == 200 and "Add staff" in form.text
    csrf = page_csrf(client, "/admin/staff/new")
    refused = client.post(
        "/admin/staff/new", data={"csrf_token": csrf, "name": "", "email": "x", "role": "nurse"}
    )
    assert refused.status_code == 422 and 'id="e-email"' in refused.text
    made = client.post(
        "/admin/staff/new",
        data={"csrf_token": csrf, "name": "Noor New", "email": "noor@example.org", "role": "nurse"},
    )
    assert made.status_code == 200
    match = re.search(r'value="http://testserver(/account/password/[^"]+)"', made.text)
    assert match, made.text
    with TestClient(app) as newcomer:
        page = newcomer.get(match.group(1))
        assert "Welcome, Noor New" in page.text
        short = newcomer.post(match.group(1), data={"password": "x", "confirm": "x"})
        assert short.status_code == 422 and "at least" in short.text
        done = newcomer.post(
            match.group(1), data={"password": PASSWORD, "confirm": PASSWORD}, follow_redirects=False
        )
        assert done.status_code == 303
        assert login(newcomer, "noor@example.org").status_code == 303
        assert newcomer.get(match.group(1)).status_code == 404


def test_it_runs_one_account_from_its_page(
    client: TestClient, admin: Persona, nurse: Persona, db: Session
) -> None:
    login(client, admin.email)
    url = f"/admin/staff/{nurse.user.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Nia Nurse" in page.text and "Deactivate" in page.text
    csrf = page_csrf(client, url)
    role = client.post(
        f"{url}/role", data={"csrf_token": csrf, "clinic_id": nurse.clinic.id, "role": "prescriber"}
    )
    assert "Role changed." in role.text
    link = client.post(f"{url}/password-reset", data={"csrf_token": csrf})
    assert "/account/password/" in link.text and "24 hours" in link.text
    off = client.post(f"{url}/deactivate", data={"csrf_token": csrf})
    assert "Deactivated" in off.text and "Reactivate" in off.text
    back = client.post(f"{url}/reactivate", data={"csrf_token": csrf})
    assert "Reactivated" in back.text
    self_page = client.get(f"/admin/staff/{admin.user.id}")
    assert "Deactivate" not in self_page.text
    last = client.post(
        f"/admin/staff/{admin.user.id}/role",
        data={"csrf_token": csrf, "clinic_id": nurse.clinic.id, "role": "nurse"},
    )
    assert last.status_code == 409 and "no administrator left" in last.text


def test_it_lists_and_revokes_tokens_on_the_page(
    client: TestClient, admin: Persona, nurse: Persona, db: Session
) -> None:
    login(client, admin.email)
    page = client.get("/admin/tokens")
    assert page.status_code == 200 and "Nia Nurse" in page.text
    token_id = db.scalars(select(ApiToken.id).where(ApiToken.user_id == nurse.user.id)).one()
    csrf = page_csrf(client, "/admin/tokens")
    after = client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    row = after.text.split(f'id="token-{token_id}"')[1].split("</tr>")[0]
    assert "revoked" in row
