"""Signing consent documents: which ones a plan asks for, the record a signature
keeps (version, hash, name, time, address, browser, PDF), append-only, a new version
asks again, and who may read the copy."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.clinical.consents import load_documents
from ketaclinic.consents import errors, service
from ketaclinic.consents.models import ConsentSignature
from tests.chairside.conftest import Api
from tests.conftest import Persona
from tests.plans.conftest import clear_patient, plan_body
from tests.previsit.conftest import Planned

INFUSION = "iv_ketamine_infusion"
REMS = "spravato_rems_acknowledgement"


def sign(db: Session, planned: Planned, name: str = "Maya Lindqvist") -> ConsentSignature:
    row = service.sign(
        db,
        planned.me,
        INFUSION,
        name,
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (iPhone)",
        clinic_name="Lakeside Ketamine",
    )
    db.commit()
    return row


def test_it_asks_an_iv_plan_for_the_infusion_consent(db: Session, planned: Planned) -> None:
    found = service.documents_for(db, planned.me, planned.patient_id)
    assert [s.document.id for s in found.to_sign] == [INFUSION]
    assert found.to_sign[0].required
    assert found.signed == []


def test_it_asks_an_esketamine_plan_for_the_rems_acknowledgement(
    db: Session, api: Api, nurse: Persona, prescriber: Persona
) -> None:
    pid = clear_patient(api, nurse, prescriber, rule_set="esketamine_nasal")
    made = api(nurse).post(
        f"/api/v1/patients/{pid}/plans",
        json=plan_body(protocol_id="esketamine_nasal", dose_amount=84),
    )
    assert made.status_code == 201, made.text
    found = service.documents_for(db, principal_for(db, nurse.user), pid)
    assert [s.document.id for s in found.to_sign] == [REMS]


def test_it_keeps_what_was_signed_and_a_pdf_with_the_hash(db: Session, planned: Planned) -> None:
    row = sign(db, planned, "  maya  lindqvist ")
    document = load_documents()[INFUSION]
    assert (row.document_id, row.document_version, row.document_sha256) == (
        INFUSION,
        document.version,
        document.sha256,
    )
    assert (row.typed_name, row.ip_address, row.user_agent) == (
        "maya lindqvist",
        "203.0.113.7",
        "Mozilla/5.0 (iPhone)",
    )
    words = "".join(page.extract_text() for page in PdfReader(io.BytesIO(row.pdf)).pages)
    flat = " ".join(words.split())
    assert document.sha256 in flat.replace(" ", "")
    assert "Signed by typing the name: maya lindqvist" in flat
    assert "203.0.113.7" in flat
    found = service.documents_for(db, planned.me, planned.patient_id)
    assert found.to_sign == []
    assert [s.signed.id for s in found.signed if s.signed] == [row.id]


def test_it_refuses_a_name_that_is_not_the_charts_and_says_so(
    db: Session, planned: Planned
) -> None:
    with pytest.raises(errors.NameMismatch) as refused:
        sign(db, planned, "Noor Lindqvist")
    assert "does not match the name on your record (Maya Lindqvist)" in refused.value.message
    assert refused.value.fields.keys() == {"typed_name"}
    assert (
        db.scalars(
            select(ConsentSignature).where(ConsentSignature.patient_id == planned.patient_id)
        ).all()
        == []
    )


def test_it_refuses_to_sign_the_same_version_twice(db: Session, planned: Planned) -> None:
    sign(db, planned)
    with pytest.raises(errors.AlreadySigned):
        sign(db, planned)


def test_it_asks_again_when_the_document_has_a_new_version(db: Session, planned: Planned) -> None:
    old = sign(db, planned)
    current = load_documents()[INFUSION]
    newer = current.model_copy(update={"version": "1.1", "body": current.body + "\n7. Added."})
    found = service.documents_for(db, planned.me, planned.patient_id, documents={INFUSION: newer})
    assert [s.document.version for s in found.to_sign] == ["1.1"]
    assert found.to_sign[0].earlier is not None and found.to_sign[0].earlier.id == old.id
    again = service.sign(
        db,
        planned.me,
        INFUSION,
        "Maya Lindqvist",
        ip_address="203.0.113.7",
        user_agent="test",
        documents={INFUSION: newer},
    )
    assert again.document_sha256 == newer.sha256 != old.document_sha256


def test_it_lets_staff_share_a_document_and_read_the_copy(
    db: Session, planned: Planned, nurse: Persona, outsider: Persona
) -> None:
    staff = principal_for(db, nurse.user)
    service.share(db, staff, planned.patient_id, REMS)
    db.commit()
    found = service.documents_for(db, planned.me, planned.patient_id)
    assert sorted(s.document.id for s in found.to_sign) == [INFUSION, REMS]
    with pytest.raises(errors.AlreadyShared):
        service.share(db, staff, planned.patient_id, REMS)
    row = sign(db, planned)
    filename, body = service.signed_copy(db, staff, planned.patient_id, row.id)
    assert filename.endswith(".pdf") and body.startswith(b"%PDF")
    with pytest.raises(errors.ConsentPatientNotFound):
        service.signed_copy(db, principal_for(db, outsider.user), planned.patient_id, row.id)


def test_it_audits_the_signature_as_the_patients_account(db: Session, planned: Planned) -> None:
    row = sign(db, planned)
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "portal.consent_signed",
            AuditEvent.patient_id == planned.patient_id,
        )
    ).one()
    assert event.actor == f"patient-account:{planned.account.id}"
    assert event.resource_id == str(row.id)


@pytest.mark.parametrize("table", ["consent_signatures", "consent_requests"])
def test_it_keeps_signatures_append_only(
    db: Session, planned: Planned, nurse: Persona, table: str
) -> None:
    service.share(db, principal_for(db, nurse.user), planned.patient_id, REMS)
    sign(db, planned)
    for statement in (f"UPDATE {table} SET document_id = document_id", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match=r"append-only|refuse"):
            db.execute(text(statement))
        db.rollback()


def test_it_sends_the_patient_a_link_when_staff_share_a_document(
    db: Session, planned: Planned, nurse: Persona
) -> None:
    from ketaclinic.notifications.models import Message

    row = service.share(db, principal_for(db, nurse.user), planned.patient_id, REMS)
    message = db.scalars(select(Message).where(Message.patient_id == planned.patient_id)).one()
    assert (message.template, message.event_key, message.link_path) == (
        "consent_request",
        f"consent_request:{row.id}",
        "/portal/documents",
    )
