"""The consent pages: the patient reads and signs in the portal and downloads the
copy; staff see the Consents section on the chart, open the copy and share a document."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.consents.models import ConsentRequest, ConsentSignature
from tests.auth.test_login import login, page_csrf
from tests.conftest import Persona
from tests.portal.conftest import SignIn, csrf_of
from tests.previsit.conftest import Planned


def test_it_lists_the_consent_to_read_and_sign(planned: Planned, sign_in: SignIn) -> None:
    page = sign_in(planned.account).get("/portal/documents")
    assert page.status_code == 200
    assert 'href="/portal/documents/iv_ketamine_infusion"' in page.text
    assert "Consent to ketamine infusion treatment" in page.text


def test_it_signs_with_the_typed_name_and_offers_the_copy(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    browser = sign_in(planned.account)
    page = browser.get("/portal/documents/iv_ketamine_infusion")
    assert "CLINIC TEMPLATE" in page.text
    assert 'autocomplete="name"' in page.text
    sent = browser.post(
        "/portal/documents/iv_ketamine_infusion/sign",
        data={"typed_name": "Maya Lindqvist", "csrf_token": csrf_of(db, browser)},
        headers={"User-Agent": "PhoneBrowser/1.0"},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/portal/documents?signed=1"
    row = db.scalars(
        select(ConsentSignature).where(ConsentSignature.patient_id == planned.patient_id)
    ).one()
    assert row.user_agent == "PhoneBrowser/1.0"
    listed = browser.get("/portal/documents?signed=1")
    assert "Signed. A copy is kept below." in listed.text
    assert f'href="/portal/documents/signed/{row.id}.pdf"' in listed.text
    copy = browser.get(f"/portal/documents/signed/{row.id}.pdf")
    assert copy.status_code == 200
    assert copy.headers["content-type"] == "application/pdf"
    assert copy.content.startswith(b"%PDF")


def test_it_says_clearly_when_the_name_does_not_match(
    db: Session, planned: Planned, sign_in: SignIn
) -> None:
    browser = sign_in(planned.account)
    sent = browser.post(
        "/portal/documents/iv_ketamine_infusion/sign",
        data={"typed_name": "M L", "csrf_token": csrf_of(db, browser)},
    )
    assert sent.status_code == 422
    assert "does not match the name on your record (Maya Lindqvist)" in sent.text
    assert 'value="M L"' in sent.text
    assert (
        db.scalars(
            select(ConsentSignature).where(ConsentSignature.patient_id == planned.patient_id)
        ).all()
        == []
    )


def test_it_answers_another_patients_copy_as_not_found(
    db: Session,
    planned: Planned,
    sign_in: SignIn,
    api,
    nurse,
    prescriber,  # type: ignore[no-untyped-def]
) -> None:
    from ketaclinic.consents import service
    from tests.previsit.conftest import planned_patient

    noor = planned_patient(db, api, nurse, prescriber, given_name="Noor")
    row = service.sign(
        db, noor.me, "iv_ketamine_infusion", "Noor Lindqvist", ip_address="", user_agent=""
    )
    db.commit()
    browser = sign_in(planned.account)
    assert browser.get(f"/portal/documents/signed/{row.id}.pdf").status_code == 404
    assert browser.get("/portal/documents/no_such_document").status_code == 404


def test_it_shows_staff_the_consents_on_the_chart_and_the_copy(
    db: Session, planned: Planned, client: TestClient, nurse: Persona
) -> None:
    from ketaclinic.consents import service

    row = service.sign(
        db, planned.me, "iv_ketamine_infusion", "Maya Lindqvist", ip_address="", user_agent=""
    )
    db.commit()
    login(client, nurse.email)
    chart = client.get(f"/patients/{planned.patient_id}")
    assert chart.status_code == 200
    assert 'id="consents"' in chart.text
    assert f'href="/patients/{planned.patient_id}/consents/{row.id}.pdf"' in chart.text
    copy = client.get(f"/patients/{planned.patient_id}/consents/{row.id}.pdf")
    assert copy.status_code == 200
    assert copy.content.startswith(b"%PDF")


def test_it_lets_staff_share_a_document_to_sign(
    db: Session, planned: Planned, client: TestClient, nurse: Persona
) -> None:
    login(client, nurse.email)
    token = page_csrf(client, f"/patients/{planned.patient_id}")
    sent = client.post(
        f"/patients/{planned.patient_id}/consents/share",
        data={"document_id": "spravato_rems_acknowledgement", "csrf_token": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert (
        db.scalars(select(ConsentRequest).where(ConsentRequest.patient_id == planned.patient_id))
        .one()
        .document_id
        == "spravato_rems_acknowledgement"
    )
