"""Consent documents a patient reads and signs: which ones their plans ask for (by
route and REMS) or the clinic shared, signing (the document's version and SHA-256,
the typed name, time, address and browser, a PDF copy), and reading the copies. Staff
act through a ``Principal``, the patient through ``portal.actor.PortalPatient``. Every
read and write is audited; never commits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.consents import ConsentDocument, load_documents
from ketaclinic.clinical.treatment import Protocol, load_protocols
from ketaclinic.consents import errors, names, pdf
from ketaclinic.consents import repository as repo
from ketaclinic.consents.models import ConsentRequest, ConsentSignature
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import utcnow
from ketaclinic.notifications import service as notifications
from ketaclinic.patients.models import Patient
from ketaclinic.portal import actor as portal
from ketaclinic.portal.actor import PortalPatient

Caller = Principal | PortalPatient


@dataclass(frozen=True)
class DocumentStatus:
    """One document for the patient: the current version and its signature, if any."""

    document: ConsentDocument
    signed: ConsentSignature | None
    # The newest signature of an earlier version (a new version asks to sign again).
    earlier: ConsentSignature | None
    required: bool

    @property
    def needs_signature(self) -> bool:
        return self.signed is None


@dataclass(frozen=True)
class Documents:
    to_sign: list[DocumentStatus]
    signed: list[DocumentStatus]
    history: list[ConsentSignature]


def patient_for(db: Session, who: Caller, patient_id: int, *, write: bool = False) -> Patient:
    """The patient, if the caller may read (or write) their documents; else 404."""
    if isinstance(who, Principal):
        found = repo.patient(db, list(who.roles), patient_id)
        permission = Permission.PATIENT_WRITE if write else Permission.PATIENT_READ
        if found is None or not who.can(permission, found.clinic_id):
            raise errors.ConsentPatientNotFound()
        return found
    if who.patient_id != patient_id:
        raise errors.ConsentPatientNotFound()
    found = repo.patient(db, [who.clinic_id], patient_id, lock=write)
    if found is None:
        raise errors.ConsentPatientNotFound()
    return found


def audit_for(
    db: Session,
    who: Caller,
    patient: Patient,
    action: str,
    resource_id: int | str,
    detail: dict[str, object],
    *,
    resource_type: str = "consent",
) -> None:
    if isinstance(who, Principal):
        audit.on_patient(
            db,
            who,
            action,
            patient,
            resource_type=resource_type,
            resource_id=resource_id,
            detail=detail,
        )
    else:
        portal.record(
            db, who, action, resource_type=resource_type, resource_id=resource_id, detail=detail
        )


def _statuses(
    db: Session,
    patient: Patient,
    documents: Mapping[str, ConsentDocument],
    protocols: Mapping[str, Protocol],
) -> Documents:
    clinics = [patient.clinic_id]
    required: set[str] = set()
    for protocol_id in repo.live_protocols(db, clinics, patient.id):
        protocol = protocols.get(protocol_id)
        if protocol is None:
            continue
        required |= {
            d.id for d in documents.values() if d.required_by(protocol.route, protocol.rems)
        }
    asked = required | {r.document_id for r in repo.shared(db, clinics, patient.id)}
    history = repo.signatures(db, clinics, patient.id)
    to_sign: list[DocumentStatus] = []
    signed: list[DocumentStatus] = []
    for document_id in sorted(asked | {s.document_id for s in history}):
        document = documents.get(document_id)
        if document is None:
            continue
        mine = [s for s in history if s.document_id == document_id]
        current = next(
            (
                s
                for s in mine
                if s.document_sha256 == document.sha256 and s.document_version == document.version
            ),
            None,
        )
        earlier = next((s for s in mine if s is not current), None)
        status = DocumentStatus(document, current, earlier, document_id in required)
        if current is not None:
            signed.append(status)
        elif document_id in asked or earlier is not None:
            to_sign.append(status)
    return Documents(to_sign, signed, history)


def documents_for(
    db: Session,
    who: Caller,
    patient_id: int,
    *,
    documents: Mapping[str, ConsentDocument] | None = None,
    protocols: Mapping[str, Protocol] | None = None,
    audited: bool = True,
) -> Documents:
    """What the patient is asked to sign and what they signed; audited, unless it is
    part of a page whose read is already recorded (the chart)."""
    patient = patient_for(db, who, patient_id)
    found = _statuses(db, patient, documents or load_documents(), protocols or load_protocols())
    if audited:
        action = "patient.read" if isinstance(who, Principal) else "portal.documents_read"
        audit_for(db, who, patient, action, patient.id, {"purpose": "consent documents"})
    return found


def document_for(
    db: Session,
    who: Caller,
    patient_id: int,
    document_id: str,
    *,
    documents: Mapping[str, ConsentDocument] | None = None,
    protocols: Mapping[str, Protocol] | None = None,
) -> DocumentStatus:
    """One document asked of (or signed by) the patient, as they read it (audited)."""
    found = documents_for(db, who, patient_id, documents=documents, protocols=protocols)
    for status in (*found.to_sign, *found.signed):
        if status.document.id == document_id:
            return status
    raise errors.DocumentNotFound()


def sign(
    db: Session,
    who: PortalPatient,
    document_id: str,
    typed_name: str,
    *,
    ip_address: str,
    user_agent: str,
    clinic_name: str = "",
    now: datetime | None = None,
    documents: Mapping[str, ConsentDocument] | None = None,
    protocols: Mapping[str, Protocol] | None = None,
) -> ConsentSignature:
    """The patient signs the current version of a document asked of them, once.
    The typed name must be the chart's (loosely); the PDF copy is made now."""
    now = now or utcnow()
    patient = patient_for(db, who, who.patient_id, write=True)
    found = _statuses(db, patient, documents or load_documents(), protocols or load_protocols())
    status = next((s for s in found.to_sign if s.document.id == document_id), None)
    if status is None:
        if any(s.document.id == document_id for s in found.signed):
            raise errors.AlreadySigned()
        raise errors.DocumentNotFound()
    typed = " ".join(typed_name.split())
    if not typed:
        raise errors.NameMissing()
    if not names.matches(typed, patient.given_name, patient.family_name):
        raise errors.NameMismatch(
            "does not match the name on your record "
            f"({patient.given_name} {patient.family_name}). Type your full name as the "
            "clinic has it, or ask the clinic to correct your record."
        )
    document = status.document
    row = ConsentSignature(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        account_id=who.account_id,
        document_id=document.id,
        document_version=document.version,
        document_title=document.title,
        document_sha256=document.sha256,
        typed_name=typed[:200],
        signed_at=now,
        ip_address=ip_address[:64],
        user_agent=user_agent[:1000],
        pdf=b"",
    )
    row.pdf = pdf.signed_copy(document, row, patient, clinic_name)
    db.add(row)
    db.flush()
    audit_for(
        db,
        who,
        patient,
        "portal.consent_signed",
        row.id,
        {"document": document.id, "version": document.version, "sha256": document.sha256},
    )
    return row


def signed_copy(db: Session, who: Caller, patient_id: int, signature_id: int) -> tuple[str, bytes]:
    """The PDF kept when the document was signed, and a file name for it (audited)."""
    patient = patient_for(db, who, patient_id)
    row = repo.signature(db, [patient.clinic_id], patient.id, signature_id)
    if row is None:
        raise errors.SignatureNotFound()
    action = "patient.read" if isinstance(who, Principal) else "portal.consent_copy_read"
    audit_for(db, who, patient, action, row.id, {"purpose": "signed consent copy"})
    day = row.signed_at.date().isoformat()
    return f"consent-{row.document_id}-v{row.document_version}-{day}.pdf", row.pdf


def share(
    db: Session,
    principal: Principal,
    patient_id: int,
    document_id: str,
    *,
    documents: Mapping[str, ConsentDocument] | None = None,
) -> ConsentRequest:
    """Staff ask the patient to read and sign a document in the portal."""
    patient = patient_for(db, principal, patient_id, write=True)
    known = documents or load_documents()
    if document_id not in known:
        raise errors.UnknownDocument()
    if any(r.document_id == document_id for r in repo.shared(db, [patient.clinic_id], patient.id)):
        raise errors.AlreadyShared()
    row = ConsentRequest(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        document_id=document_id,
        requested_by_id=principal.user_id,
        requested_at=utcnow(),
    )
    db.add(row)
    db.flush()
    audit_for(db, principal, patient, "patient.consent.share", row.id, {"document": document_id})
    # The message names no document (no health information): a link to the portal.
    notifications.queue(
        db,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        template="consent_request",
        event_key=f"consent_request:{row.id}",
        link_path="/portal/documents",
    )
    return row
