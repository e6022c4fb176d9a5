"""Documents shared to read: staff share one from the chart (audited, a message with
no document named), the copy keeps the version and hash shared, the patient's
opening is recorded, and a completed session shares the care sheet once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.clinical.consents import SharedDocument, load_shared_documents
from ketaclinic.clinics.models import Clinic
from ketaclinic.consents import errors, sharing
from ketaclinic.consents.models import SharedDocumentCopy
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications.models import Message
from ketaclinic.patients.models import Patient
from tests.conftest import Persona
from tests.portal.conftest import make_patient
from tests.previsit.conftest import Planned

CARE = "after_infusion_care"


def _actions(db: Session, patient_id: int, action: str) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.patient_id == patient_id, AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
    )


def test_it_shares_the_current_version_and_keeps_it_as_shared(
    db: Session, planned: Planned, nurse: Persona
) -> None:
    row = sharing.share(db, principal_for(db, nurse.user), planned.patient_id, CARE)
    db.commit()
    document = load_shared_documents()[CARE]
    assert (row.document_version, row.document_sha256, row.body) == (
        document.version,
        document.sha256,
        document.body,
    )
    assert row.shared_by_id == nurse.user.id and row.first_read_at is None
    (event,) = _actions(db, planned.patient_id, "patient.document.share")
    assert event.resource_type == "shared_document"
    message = db.scalars(
        select(Message).where(Message.event_key == f"document_shared:{row.id}")
    ).one()
    assert (message.template, message.link_path) == ("document_shared", "/portal/documents")


def test_it_refuses_the_same_version_twice_and_shares_a_newer_one(
    db: Session, planned: Planned, nurse: Persona
) -> None:
    staff = principal_for(db, nurse.user)
    first = sharing.share(db, staff, planned.patient_id, CARE)
    with pytest.raises(errors.DocumentAlreadyShared):
        sharing.share(db, staff, planned.patient_id, CARE)
    packaged = load_shared_documents()[CARE]
    newer = SharedDocument.model_validate(
        packaged.model_dump(exclude={"sha256"}) | {"version": "1.1", "body": packaged.body + "\n6."}
    )
    second = sharing.share(db, staff, planned.patient_id, CARE, documents={CARE: newer})
    db.commit()
    db.refresh(first)
    # The first copy is what was shared then: its version and hash do not follow the new text.
    assert (first.document_version, first.document_sha256) == ("1.0", packaged.sha256)
    assert (second.document_version, second.document_sha256) == ("1.1", newer.sha256)


def test_it_refuses_an_unknown_document_naming_the_field(
    db: Session, planned: Planned, nurse: Persona
) -> None:
    with pytest.raises(errors.UnknownSharedDocument) as refused:
        sharing.share(db, principal_for(db, nurse.user), planned.patient_id, "no_such_sheet")
    assert refused.value.status_code == 422
    assert "document_id" in refused.value.fields


def test_it_hides_the_patient_of_another_clinic(
    db: Session, planned: Planned, outsider: Persona
) -> None:
    with pytest.raises(errors.ConsentPatientNotFound):
        sharing.share(db, principal_for(db, outsider.user), planned.patient_id, CARE)


def test_it_records_when_the_patient_first_and_last_opened_it(
    db: Session, planned: Planned, nurse: Persona
) -> None:
    row = sharing.share(db, principal_for(db, nurse.user), planned.patient_id, CARE)
    db.commit()
    start = utcnow()
    later = start + timedelta(hours=2)
    sharing.open_shared(db, planned.me, row.id, now=start)
    sharing.open_shared(db, planned.me, row.id, now=later)
    db.commit()
    db.refresh(row)
    assert (row.first_read_at, row.last_read_at) == (start, later)
    reads = _actions(db, planned.patient_id, "portal.shared_document_read")
    assert [json.loads(e.detail)["first"] for e in reads] == [True, False]


def test_it_answers_another_patients_copy_as_not_found(
    db: Session, planned: Planned, nurse: Persona, clinic: Clinic
) -> None:
    noor = make_patient(db, clinic, "Noor")
    theirs = sharing.share(db, principal_for(db, nurse.user), noor.id, CARE)
    db.commit()
    with pytest.raises(errors.SharedDocumentNotFound):
        sharing.open_shared(db, planned.me, theirs.id)


def test_it_shares_the_care_sheet_once_when_a_session_is_completed(
    db: Session, planned: Planned
) -> None:
    patient = db.get(Patient, planned.patient_id)
    assert patient is not None
    row = sharing.share_on_completion(db, patient)
    assert row is not None and row.shared_by_id is None
    assert row.shared_reason == "session_completed"
    assert sharing.share_on_completion(db, patient) is None
    db.commit()
    copies = db.scalars(
        select(SharedDocumentCopy)
        .where(SharedDocumentCopy.patient_id == planned.patient_id)
        .order_by(SharedDocumentCopy.id)
    ).all()
    assert [c.document_id for c in copies] == [CARE]
