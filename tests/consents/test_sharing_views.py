"""Shared documents on the pages: staff share from the chart, the patient reads in
the portal (the opening recorded), and the chart says when it was shared and read."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.service import principal_for
from ketaclinic.consents import sharing
from ketaclinic.consents.models import SharedDocumentCopy
from tests.auth.test_login import login, page_csrf
from tests.conftest import Persona
from tests.portal.conftest import SignIn
from tests.previsit.conftest import Planned

CARE = "after_infusion_care"
TITLE = "After your infusion - caring for yourself today and tomorrow"


def _copies(db: Session, patient_id: int) -> list[SharedDocumentCopy]:
    stmt = select(SharedDocumentCopy).where(SharedDocumentCopy.patient_id == patient_id)
    return list(db.scalars(stmt.order_by(SharedDocumentCopy.id)))


def test_it_lets_staff_share_a_document_to_read_from_the_chart(
    db: Session, planned: Planned, client: TestClient, nurse: Persona
) -> None:
    login(client, nurse.email)
    chart = client.get(f"/patients/{planned.patient_id}")
    assert 'id="shared-documents"' in chart.text
    assert "Nothing shared yet." in chart.text
    assert f">{TITLE}</option>" in chart.text
    token = page_csrf(client, f"/patients/{planned.patient_id}")
    sent = client.post(
        f"/patients/{planned.patient_id}/documents/share",
        data={"document_id": CARE, "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].endswith("#shared-documents")
    assert [c.document_id for c in _copies(db, planned.patient_id)] == [CARE]
    again = client.get(f"/patients/{planned.patient_id}")
    assert "not read yet" in again.text
    assert f">{TITLE}</option>" not in again.text  # this version is shared already


def test_it_refuses_an_unknown_document_naming_the_field(
    db: Session, planned: Planned, client: TestClient, nurse: Persona
) -> None:
    login(client, nurse.email)
    token = page_csrf(client, f"/patients/{planned.patient_id}")
    sent = client.post(
        f"/patients/{planned.patient_id}/documents/share",
        data={"document_id": "no_such_sheet", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 422
    assert _copies(db, planned.patient_id) == []


def test_it_shows_the_patient_the_document_and_records_the_reading(
    db: Session, planned: Planned, nurse: Persona, sign_in: SignIn, client: TestClient
) -> None:
    row = sharing.share(db, principal_for(db, nurse.user), planned.patient_id, CARE)
    db.commit()
    browser = sign_in(planned.account)
    listed = browser.get("/portal/documents")
    assert listed.status_code == 200
    assert f'href="/portal/documents/shared/{row.id}"' in listed.text
    assert ">New</span>" in listed.text
    page = browser.get(f"/portal/documents/shared/{row.id}")
    assert page.status_code == 200
    assert "call or text 988" in page.text
    assert "nothing to sign" in page.text
    db.refresh(row)
    assert row.first_read_at is not None
    assert ">New</span>" not in browser.get("/portal/documents").text
    login(client, nurse.email)
    chart = client.get(f"/patients/{planned.patient_id}")
    assert "shared on " in chart.text and "read on " in chart.text
    assert "after_infusion_care" not in chart.text.replace('value="after_infusion_care"', "")


def test_it_answers_a_copy_that_is_not_the_patients_as_not_found(
    planned: Planned, sign_in: SignIn
) -> None:
    browser = sign_in(planned.account)
    assert browser.get("/portal/documents/shared/2147483000").status_code == 404
