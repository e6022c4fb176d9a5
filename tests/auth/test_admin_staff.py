"""The administrator's staff page: the clinic's staff, their two-factor and lock
state, and unlocking a colleague (only in the administrator's own clinics)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import add_membership
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.time import utcnow
from tests.auth.test_login import login, page_csrf
from tests.auth.test_throttling import fail
from tests.conftest import Persona


def lock(app: FastAPI, persona: Persona) -> None:
    with TestClient(app) as guesser:
        fail(guesser, persona.email, 5)


def test_it_lists_the_staff_of_the_admins_clinic(
    client: TestClient, admin: Persona, nurse: Persona, outsider: Persona, app: FastAPI
) -> None:
    lock(app, nurse)
    login(client, admin.email)
    page = client.get("/admin/staff")
    assert page.status_code == 200
    row = page.text.split(f'id="staff-{nurse.user.id}"')[1].split("</tr>")[0]
    assert "Nia Nurse" in row and nurse.email in row and "nurse" in row
    assert "locked" in row and "5 failed" in row and "Unlock" in row
    assert ">off<" in row  # two-factor
    assert "Ada Admin" in page.text
    assert "Oona Outsider" not in page.text
    assert '<a href="/admin/staff">Staff</a>' in page.text


def test_it_unlocks_a_locked_colleague(
    client: TestClient, admin: Persona, nurse: Persona, app: FastAPI, db: Session
) -> None:
    lock(app, nurse)
    login(client, admin.email)
    response = client.post(
        f"/admin/staff/{nurse.user.id}/unlock",
        data={"csrf_token": page_csrf(client, "/admin/staff")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Unlocked Nia Nurse" in client.get(response.headers["location"]).text
    db.refresh(nurse.user)
    assert nurse.user.locked_at is None and nurse.user.failed_logins == 0
    (event,) = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.unlocked"))
    assert event.user_id == admin.user.id
    assert event.resource_id == str(nurse.user.id)
    with TestClient(app) as nurses_tablet:
        assert login(nurses_tablet, nurse.email).status_code == 303


def test_it_hides_users_of_clinics_the_admin_does_not_run(
    client: TestClient, admin: Persona, outsider: Persona, app: FastAPI, db: Session
) -> None:
    lock(app, outsider)
    login(client, admin.email)
    response = client.post(
        f"/admin/staff/{outsider.user.id}/unlock",
        data={"csrf_token": page_csrf(client, "/admin/staff")},
    )
    assert response.status_code == 404
    db.refresh(outsider.user)
    assert outsider.user.locked_at is not None


def test_it_does_not_count_a_clinic_where_the_admin_is_only_staff(
    client: TestClient,
    admin: Persona,
    outsider: Persona,
    other_clinic: Clinic,
    app: FastAPI,
    db: Session,
) -> None:
    add_membership(db, admin.user, other_clinic, "nurse")
    db.commit()
    lock(app, outsider)
    login(client, admin.email)
    assert "Oona Outsider" not in client.get("/admin/staff").text
    response = client.post(
        f"/admin/staff/{outsider.user.id}/unlock",
        data={"csrf_token": page_csrf(client, "/admin/staff")},
    )
    assert response.status_code == 404


def test_it_shows_the_clinic_beside_each_role_for_an_admin_of_two_clinics(
    client: TestClient, admin: Persona, outsider: Persona, other_clinic: Clinic, db: Session
) -> None:
    add_membership(db, admin.user, other_clinic, "admin")
    db.commit()
    login(client, admin.email)
    page = client.get("/admin/staff").text
    assert "Oona Outsider" in page
    assert "Hillcrest Infusions" in page and "Lakeside Ketamine" in page


def test_it_forbids_the_staff_page_to_other_roles(
    client: TestClient, nurse: Persona, admin: Persona, db: Session
) -> None:
    admin.user.locked_at = utcnow()
    db.commit()
    login(client, nurse.email)
    assert '<a href="/admin/staff">' not in client.get("/patients").text
    assert client.get("/admin/staff").status_code == 403
    response = client.post(
        f"/admin/staff/{admin.user.id}/unlock", data={"csrf_token": page_csrf(client)}
    )
    assert response.status_code == 403
    db.refresh(admin.user)
    assert admin.user.locked_at is not None


def test_it_requires_the_form_token_to_unlock(
    client: TestClient, admin: Persona, nurse: Persona, app: FastAPI, db: Session
) -> None:
    lock(app, nurse)
    login(client, admin.email)
    assert client.post(f"/admin/staff/{nurse.user.id}/unlock").status_code == 403
    db.refresh(nurse.user)
    assert nurse.user.locked_at is not None
