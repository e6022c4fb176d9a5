"""Billing's pages (issue 23): the visits list, a visit's charges in words, finalise
and correct from the page, the fee schedule, the superbill downloads and the portal's."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketaclinic.patients.models import Patient
from ketaclinic.portal.models import PatientAccount
from tests.billing.conftest import Billed
from tests.chairside.conftest import Api
from tests.conftest import Persona
from tests.portal.conftest import SignIn, make_account
from tests.portal.conftest import sign_in as sign_in


def test_it_shows_a_visits_charges_in_words_and_finalises_them(
    api: Api, billed: Billed, front_desk: Persona
) -> None:
    desk = api(front_desk)
    listing = desk.get("/billing").text
    assert f"/billing/visits/{billed.session_id}" in listing and "to review" in listing
    page = desk.get(f"/billing/visits/{billed.session_id}").text
    assert "IV infusion, therapy, initial, up to 1 hour" in page and "$450.00" in page
    assert "Finalise every draft line" in page
    done = desk.post(f"/billing/visits/{billed.session_id}/finalise", follow_redirects=False)
    assert done.status_code == 303
    page = desk.get(f"/billing/visits/{billed.session_id}").text
    assert "Correct this line" in page and "Finalise every draft line" not in page


def test_it_names_the_field_of_a_refused_correction(
    api: Api, billed: Billed, front_desk: Persona
) -> None:
    desk = api(front_desk)
    desk.post(f"/billing/visits/{billed.session_id}/finalise")
    line = desk.get(f"/api/v1/billing/visits/{billed.session_id}/charges").json()["items"][0]
    refused = desk.post(
        f"/billing/lines/{line['id']}/correct",
        data={"reason": "x", "session_id": str(billed.session_id)},
    )
    assert refused.status_code == 422
    assert "say why the line is corrected" in refused.text


def test_it_edits_the_fee_schedule_on_a_page(api: Api, admin: Persona) -> None:
    boss = api(admin)
    assert "G2083" in boss.get("/admin/fees").text
    bad = boss.post("/admin/fees", data={"code": "G2083", "price": "12.345"})
    assert bad.status_code == 422 and "an amount in dollars and cents" in bad.text
    ok = boss.post(
        "/admin/fees",
        data={"code": "G2083", "price": "1,290.00", "effective_from": "2026-01-01"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "$1,290.00" in boss.get("/admin/fees").text


def test_it_hides_billing_from_clinicians(api: Api, nurse: Persona, prescriber: Persona) -> None:
    for persona in (nurse, prescriber):
        assert 'href="/billing"' not in api(persona).get("/patients").text
        assert api(persona).get("/billing").status_code == 403


def test_it_lets_the_patient_download_their_superbill(
    db: Session, billed: Billed, sign_in: SignIn, front_desk: Persona, api: Api
) -> None:
    api(front_desk).post(f"/billing/visits/{billed.session_id}/finalise")
    patient = db.get(Patient, billed.patient_id)
    assert patient is not None
    account: PatientAccount = make_account(db, patient)
    browser = sign_in(account)
    assert "Download the superbill" in browser.get("/portal/superbill").text
    got = browser.get("/portal/superbill.pdf", params={"from": "2020-01-01", "to": "2030-12-31"})
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    staff = api(front_desk).get(f"/patients/{billed.patient_id}/superbill.csv")
    assert staff.status_code == 200 and staff.text.startswith("patient_name,")


def test_it_keeps_the_clinics_npi_and_tin_and_a_clinicians_npi(
    api: Api, admin: Persona, prescriber: Persona
) -> None:
    boss = api(admin)
    page = boss.get("/admin/fees").text
    assert "Billing identifiers" in page and prescriber.user.name in page
    bad = boss.post("/admin/fees/identifiers", data={"npi": "1234567890", "tin": "74-1234567"})
    assert bad.status_code == 422 and "check digit" in bad.text
    ok = boss.post(
        "/admin/fees/identifiers",
        data={"npi": "1234567893", "tin": "741234567"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    mine = boss.post(
        "/admin/fees/identifiers",
        data={"npi": "1245319599", "user_id": str(prescriber.user.id)},
        follow_redirects=False,
    )
    assert mine.status_code == 303, mine.text
    page = boss.get("/admin/fees").text
    assert "74-1234567" in page and "1245319599" in page
