"""Documents the clinic shares with a patient to read (not to sign): an after-infusion
care sheet, what to expect at a first infusion, an esketamine visit guide. Staff share
one from the chart, or a completed session shares the care sheet on its own; the
patient reads it in the portal, which records when it was first and last opened.

A share keeps the document as it was shared (version, title, text and its SHA-256):
a newer version later is a new share, and the patient always reads what was shared.
Every read and write is audited; never commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.consents import SharedDocument, load_shared_documents
from ketaclinic.clinical.consents.library import load_library
from ketaclinic.clinical.datafiles import DataFileError
from ketaclinic.consents import errors
from ketaclinic.consents import repository as repo
from ketaclinic.consents.models import SharedDocumentCopy
from ketaclinic.consents.service import Caller, audit_for, patient_for
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.logging import log
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications import service as notifications
from ketaclinic.patients.models import Patient
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.settings import get_settings

RESOURCE = "shared_document"
# The care sheet a completed infusion session shares on its own (when the clinic serves it).
AFTERCARE = "after_infusion_care"


@dataclass(frozen=True)
class Shareable:
    """A document staff may share now: its current version, and whether the patient
    already has an older one."""

    document: SharedDocument
    newer_than_shared: bool


def _copy(
    patient: Patient,
    document: SharedDocument,
    now: datetime,
    *,
    shared_by_id: int | None,
    reason: str | None,
) -> SharedDocumentCopy:
    return SharedDocumentCopy(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        document_id=document.id,
        document_version=document.version,
        document_title=document.title,
        document_sha256=document.sha256,
        body=document.body,
        shared_by_id=shared_by_id,
        shared_reason=reason,
        shared_at=now,
    )


def _notify(db: Session, row: SharedDocumentCopy) -> None:
    # The message names no document (no health information): a link to the portal.
    notifications.queue(
        db,
        clinic_id=row.clinic_id,
        patient_id=row.patient_id,
        template="document_shared",
        event_key=f"document_shared:{row.id}",
        link_path="/portal/documents",
    )


def served_documents() -> Mapping[str, SharedDocument]:
    """The documents this deployment serves (the clinic's directory over the packaged
    ones), for work outside a request; a directory that does not load right now leaves
    the packaged ones (pages keep the last good files: ``clinic_data``)."""
    directory = get_settings().documents_dir
    if directory is None:
        return load_shared_documents()
    try:
        return load_library(directory).shared
    except DataFileError as exc:
        log.error("clinic_documents_refused", error=str(exc))
        return load_shared_documents()


def share(
    db: Session,
    principal: Principal,
    patient_id: int,
    document_id: str,
    *,
    documents: Mapping[str, SharedDocument] | None = None,
    now: datetime | None = None,
) -> SharedDocumentCopy:
    """Staff share the current version of a document with the patient to read."""
    patient = patient_for(db, principal, patient_id, write=True)
    document = (documents or load_shared_documents()).get(document_id)
    if document is None:
        raise errors.UnknownSharedDocument()
    copies = repo.shared_copies(db, [patient.clinic_id], patient.id)
    if any(c.document_id == document.id and c.document_sha256 == document.sha256 for c in copies):
        raise errors.DocumentAlreadyShared()
    row = _copy(patient, document, now or utcnow(), shared_by_id=principal.user_id, reason=None)
    db.add(row)
    db.flush()
    audit_for(
        db,
        principal,
        patient,
        "patient.document.share",
        row.id,
        {"document": document.id, "version": document.version, "sha256": document.sha256},
        resource_type=RESOURCE,
    )
    _notify(db, row)
    return row


def share_on_completion(
    db: Session,
    patient: Patient,
    *,
    documents: Mapping[str, SharedDocument] | None = None,
    now: datetime | None = None,
) -> SharedDocumentCopy | None:
    """A completed infusion session shares the after-infusion care sheet, once per
    version (the patient keeps the copy they have); None when nothing is shared."""
    document = (documents or served_documents()).get(AFTERCARE)
    if document is None:
        return None
    copies = repo.shared_copies(db, [patient.clinic_id], patient.id)
    if any(c.document_id == AFTERCARE and c.document_sha256 == document.sha256 for c in copies):
        return None
    row = _copy(patient, document, now or utcnow(), shared_by_id=None, reason="session_completed")
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        None,
        "patient.document.share",
        patient,
        resource_type=RESOURCE,
        resource_id=row.id,
        detail={"document": document.id, "version": document.version, "reason": row.shared_reason},
        actor="system",
    )
    _notify(db, row)
    return row


def shared_with(
    db: Session, who: Caller, patient_id: int, *, audited: bool = True
) -> list[SharedDocumentCopy]:
    """The documents shared with the patient, newest first; audited, unless part of a
    page whose read is already recorded (the chart, the portal's documents list)."""
    patient = patient_for(db, who, patient_id)
    found = repo.shared_copies(db, [patient.clinic_id], patient.id)
    if audited:
        action = "patient.read" if isinstance(who, Principal) else "portal.documents_read"
        audit_for(
            db,
            who,
            patient,
            action,
            patient.id,
            {"purpose": "shared documents"},
            resource_type=RESOURCE,
        )
    return found


def shareable(
    copies: list[SharedDocumentCopy], documents: Mapping[str, SharedDocument]
) -> list[Shareable]:
    """What staff may share now: each current document not shared in this version."""
    shared = {(c.document_id, c.document_sha256) for c in copies}
    ids = {c.document_id for c in copies}
    return [
        Shareable(d, d.id in ids)
        for d in sorted(documents.values(), key=lambda d: d.title)
        if (d.id, d.sha256) not in shared
    ]


def open_shared(
    db: Session, who: PortalPatient, share_id: int, *, now: datetime | None = None
) -> SharedDocumentCopy:
    """The patient opens a shared document: the copy as shared; the first and last
    time they opened it are kept (audited)."""
    now = now or utcnow()
    patient = patient_for(db, who, who.patient_id)
    row = repo.shared_copy(db, [patient.clinic_id], patient.id, share_id, lock=True)
    if row is None:
        raise errors.SharedDocumentNotFound()
    first = row.first_read_at is None
    if first:
        row.first_read_at = now
    row.last_read_at = now
    audit_for(
        db,
        who,
        patient,
        "portal.shared_document_read",
        row.id,
        {"document": row.document_id, "version": row.document_version, "first": first},
        resource_type=RESOURCE,
    )
    return row
