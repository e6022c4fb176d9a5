"""A patient on a phone (390 x 844) finds the care sheet the clinic shared under
Documents, reads it, and the portal records the reading; no page scrolls sideways,
targets are big enough and axe-core finds nothing serious."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from ketaclinic.clinical.consents import load_shared_documents
from ketaclinic.consents.models import SharedDocumentCopy
from ketaclinic.kit.db import make_sessionmaker
from ketaclinic.kit.time import utcnow
from ketaclinic.patients.models import Patient
from tests.e2e.conftest import LiveClinic
from tests.e2e.test_portal_pages import (  # noqa: F401 - fixtures
    PortalPatient,
    _emailed_link,
    _fits,
    phone,
    portal_patient,
)

pytestmark = pytest.mark.e2e

CARE = "after_infusion_care"


def _share(engine: Engine, patient_id: int) -> int:
    document = load_shared_documents()[CARE]
    session = make_sessionmaker(engine)()
    try:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        row = SharedDocumentCopy(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            document_id=document.id,
            document_version=document.version,
            document_title=document.title,
            document_sha256=document.sha256,
            body=document.body,
            shared_reason="session_completed",
            shared_at=utcnow(),
        )
        session.add(row)
        session.commit()
        return row.id
    finally:
        session.close()


def _read_at(engine: Engine, share_id: int) -> object:
    session = make_sessionmaker(engine)()
    try:
        row = session.get(SharedDocumentCopy, share_id)
        assert row is not None
        return row.first_read_at
    finally:
        session.close()


def test_it_lets_a_patient_read_a_shared_care_sheet_on_a_phone(
    phone: Page,  # noqa: F811
    live_clinic: LiveClinic,
    portal_patient: PortalPatient,  # noqa: F811
    engine: Engine,
) -> None:
    share_id = _share(engine, portal_patient.patient_id)
    title = load_shared_documents()[CARE].title
    base = live_clinic.base_url
    phone.goto(f"{base}/portal")
    phone.get_by_label("Your email address").fill(portal_patient.email)
    phone.get_by_role("button", name="Email me a sign-in link").click()
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    phone.goto(base + _emailed_link(engine, portal_patient.patient_id))
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", name="Your visits")).to_be_visible()

    phone.get_by_role("navigation", name="Portal").get_by_role("link", name="Documents").click()
    expect(phone.get_by_role("heading", name="From your clinic, to read")).to_be_visible()
    expect(phone.get_by_text("New", exact=True)).to_be_visible()
    _fits(phone)
    assert _read_at(engine, share_id) is None

    phone.get_by_role("link", name=title).click()
    expect(phone.get_by_role("heading", name=title)).to_be_visible()
    expect(phone.get_by_text("call or text 988")).to_be_visible()
    _fits(phone)
    assert _read_at(engine, share_id) is not None

    phone.get_by_role("link", name="Back to your documents").click()
    expect(phone.get_by_role("heading", name="From your clinic, to read")).to_be_visible()
    expect(phone.get_by_text("New", exact=True)).to_have_count(0)
    _fits(phone)
