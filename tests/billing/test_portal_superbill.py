"""The patient's superbill in the portal (issue 23, point 3): linked from the portal's
navigation, and a date range the patient got wrong is shown by the field."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketaclinic.patients.models import Patient
from tests.billing.conftest import Billed
from tests.portal.conftest import SignIn, make_account
from tests.portal.conftest import sign_in as sign_in


def test_it_links_the_superbill_and_names_a_wrong_date_by_its_field(
    db: Session, billed: Billed, sign_in: SignIn
) -> None:
    patient = db.get(Patient, billed.patient_id)
    assert patient is not None
    browser = sign_in(make_account(db, patient))
    assert 'href="/portal/superbill"' in browser.get("/portal").text
    backwards = browser.get(
        "/portal/superbill.pdf", params={"from": "2026-12-01", "to": "2026-01-01"}
    )
    assert backwards.status_code == 422
    assert 'id="e-sb-to"' in backwards.text and "on or after the first date" in backwards.text
    assert 'value="2026-12-01"' in backwards.text  # what was typed stays
    garbled = browser.get(
        "/portal/superbill.pdf", params={"from": "12/01/2026", "to": "2026-12-31"}
    )
    assert garbled.status_code == 422 and 'id="e-sb-from"' in garbled.text
    fine = browser.get("/portal/superbill.pdf", params={"from": "2026-01-01", "to": "2026-12-31"})
    assert fine.status_code == 200 and fine.content.startswith(b"%PDF")
