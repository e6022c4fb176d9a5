"""/admin/settings: each threshold with its default, source and accepted values; a
change saved for the clinic, a bad value answered beside it; and the API twin."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ketaclinic.auth.service import add_membership
from ketaclinic.clinics import settings as clinic_settings
from ketaclinic.clinics.models import Clinic
from tests.auth.test_login import login, page_csrf
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def test_it_shows_each_threshold_with_its_default_and_source(
    client: TestClient, admin: Persona
) -> None:
    login(client, admin.email)
    page = client.get("/admin/settings")
    assert page.status_code == 200
    row = page.text.split('id="s-aldrete_min_score"')[1].split("</tr>")[0]
    assert "Lowest modified Aldrete score for discharge" in row
    assert "Accepted: 7 to 10" in row and "“Discharge”" in row and "<td>9</td>" in row
    vital = page.text.split('id="s-vital.systolic_above"')[1].split("</tr>")[0]
    assert "the protocol&#39;s" in vital or "the protocol's" in vital
    assert "docs/" not in page.text  # words, not file names


def test_it_saves_a_value_and_answers_a_bad_one_beside_it(
    client: TestClient, admin: Persona, db: Session
) -> None:
    login(client, admin.email)
    csrf = page_csrf(client, "/admin/settings")
    form = {"csrf_token": csrf, "clinic_id": admin.clinic.id, "key": "aldrete_min_score"}
    bad = client.post("/admin/settings", data={**form, "value": "12"})
    assert bad.status_code == 422 and "must be 7 to 10 points" in bad.text
    assert 'value="12"' in bad.text  # what was typed stays
    saved = client.post("/admin/settings", data={**form, "value": "10"})
    assert saved.status_code == 200 and "Saved: Lowest modified Aldrete score" in saved.text
    assert clinic_settings.for_clinic(db, admin.clinic.id).aldrete_min_score == 10
    back = client.post("/admin/settings", data={**form, "value": "10", "use_default": "1"})
    assert back.status_code == 200
    db.commit()  # a new transaction reads the clinic's settings afresh
    assert clinic_settings.for_clinic(db, admin.clinic.id).aldrete_min_score == 9


def test_it_offers_the_settings_to_administrators_only(client: TestClient, nurse: Persona) -> None:
    login(client, nurse.email)
    assert client.get("/admin/settings").status_code == 403


def test_it_sets_a_threshold_over_the_api(api: Api, admin: Persona, nurse: Persona) -> None:
    listed = api(admin).get("/api/v1/admin/settings", params={"page_size": 100})
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == len(body["items"]) and body["page"] == 1
    spo2 = next(i for i in body["items"] if i["key"] == "vital.spo2_below")
    assert spo2["default"] is None and spo2["accepted"] == "70 to 100"
    assert spo2["reference"] == "docs/clinical-references.md#vital-sign-thresholds"
    put = api(admin).put("/api/v1/admin/settings/vital.spo2_below", json={"value": "90"})
    assert put.status_code == 200 and put.json()["value"] == "90"
    bad = api(admin).put("/api/v1/admin/settings/vital.spo2_below", json={"value": "20"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {"vital.spo2_below": "must be 70 to 100 %"}
    assert api(nurse).get("/api/v1/admin/settings").status_code == 403


def _two_clinic_admin(db: Session, admin: Persona, other_clinic: Clinic) -> Persona:
    add_membership(db, admin.user, other_clinic, "admin")
    db.commit()
    return admin


def test_it_asks_an_administrator_of_two_clinics_which_one(
    client: TestClient, admin: Persona, other_clinic: Clinic, db: Session
) -> None:
    _two_clinic_admin(db, admin, other_clinic)
    login(client, admin.email)
    page = client.get("/admin/settings")
    assert page.status_code == 200 and "Which clinic?" in page.text
    assert f"/admin/settings?clinic_id={other_clinic.id}" in page.text
    chosen = client.get("/admin/settings", params={"clinic_id": other_clinic.id})
    assert chosen.status_code == 200 and "Hillcrest Infusions" in chosen.text
    assert "Which clinic?" not in chosen.text


def test_it_saves_a_value_for_the_clinic_named_never_the_first(
    client: TestClient, admin: Persona, other_clinic: Clinic, db: Session
) -> None:
    _two_clinic_admin(db, admin, other_clinic)
    login(client, admin.email)
    csrf = page_csrf(client, f"/admin/settings?clinic_id={other_clinic.id}")
    form = {"csrf_token": csrf, "key": "aldrete_min_score", "value": "10"}
    unnamed = client.post("/admin/settings", data=form)
    assert unnamed.status_code == 422
    saved = client.post("/admin/settings", data={**form, "clinic_id": other_clinic.id})
    assert saved.status_code == 200 and "Hillcrest Infusions" in saved.text
    db.commit()
    assert clinic_settings.for_clinic(db, other_clinic.id).aldrete_min_score == 10
    assert clinic_settings.for_clinic(db, admin.clinic.id).aldrete_min_score == 9


def test_it_asks_which_clinic_over_the_api_too(
    api: Api, admin: Persona, other_clinic: Clinic, db: Session
) -> None:
    _two_clinic_admin(db, admin, other_clinic)
    unnamed = api(admin).get("/api/v1/admin/settings")
    assert unnamed.status_code == 422
    assert unnamed.json()["error"]["code"] == "clinic_required"
    named = api(admin).get("/api/v1/admin/settings", params={"clinic_id": other_clinic.id})
    assert named.status_code == 200


def test_it_refuses_a_value_out_of_order_with_its_partner(api: Api, admin: Persona) -> None:
    put = api(admin).put("/api/v1/admin/settings/induction_max_sessions", json={"value": "3"})
    assert put.status_code == 422
    assert put.json()["error"]["fields"] == {
        "induction_max_sessions": 'must be at least "Induction completed: at least" (4 treatments)'
    }
    first = api(admin).put("/api/v1/admin/settings/vital.systolic_above", json={"value": "170"})
    assert first.status_code == 200
    urgent = api(admin).put(
        "/api/v1/admin/settings/vital.systolic_urgent_above", json={"value": "165"}
    )
    assert urgent.status_code == 422
    assert (
        "Alert: systolic above" in urgent.json()["error"]["fields"]["vital.systolic_urgent_above"]
    )
