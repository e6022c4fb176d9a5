"""JSON API for consent documents (to sign) and documents shared to read: the same
capabilities as the chart's "Consents" and "Shared documents" sections, through the
same service functions (audited there). A signed copy's PDF is the page route's
(``pdf_path``), which takes the API token too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinical.consents import ConsentDocument, SharedDocument
from ketaclinic.consents import service, sharing
from ketaclinic.consents.deps import consents_of, protocols_of, shared_of
from ketaclinic.consents.models import ConsentSignature
from ketaclinic.consents.schemas import (
    ConsentRequestOut,
    ConsentsOut,
    DocumentOut,
    SharedDocumentOut,
    ShareIn,
)
from ketaclinic.kit.fields import Id
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession

router = APIRouter(prefix="/api/v1", tags=["consents and shared documents"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Wrong role (reading needs patient.read, sharing patient.write)"},
    404: {"description": "No such patient in your clinics"},
    409: {"description": "Already asked to sign that document, or that version already shared"},
    422: {"description": "A field is invalid; `error.fields` names it (document_id)"},
}


def signature_out(row: ConsentSignature) -> dict[str, Any]:
    return {
        "id": row.id,
        "document_id": row.document_id,
        "document_version": row.document_version,
        "document_title": row.document_title,
        "document_sha256": row.document_sha256,
        "typed_name": row.typed_name,
        "signed_at": row.signed_at,
        "pdf_path": f"/patients/{row.patient_id}/consents/{row.id}.pdf",
    }


def to_sign_out(status: service.DocumentStatus) -> dict[str, Any]:
    document = status.document
    return {
        "document_id": document.id,
        "document_version": document.version,
        "document_title": document.title,
        "document_sha256": document.sha256,
        "required": status.required,
        "earlier_signature_id": status.earlier.id if status.earlier else None,
    }


@router.get("/patients/{patient_id}/consents", response_model=ConsentsOut, responses=ERRORS)
def list_consents(
    request: Request, patient_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    """Every consent the patient signed, newest first (each version signed is one), and
    beside them the documents still to sign (asked by a plan or by staff, or a newer
    version of one signed)."""
    found = service.documents_for(
        db,
        principal,
        patient_id,
        documents=consents_of(request),
        protocols=protocols_of(request),
    )
    return {
        "to_sign": [to_sign_out(s) for s in found.to_sign],
        **paging.of([signature_out(s) for s in found.history]),
    }


@router.post(
    "/patients/{patient_id}/consents/requests",
    response_model=ConsentRequestOut,
    status_code=201,
    responses=ERRORS,
)
def request_consent(
    request: Request, patient_id: Id, data: ShareIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Ask the patient to read and sign a consent document in the portal (the message
    sent names no document)."""
    return service.share(
        db, principal, patient_id, data.document_id, documents=consents_of(request)
    )


@router.get(
    "/patients/{patient_id}/documents", response_model=Page[SharedDocumentOut], responses=ERRORS
)
def list_shared_documents(
    patient_id: Id, principal: CurrentPrincipal, db: DbSession, paging: Paging
) -> Any:
    """The documents shared with the patient to read, newest first, as they were
    shared, with when the patient first and last opened each."""
    return paging.of(sharing.shared_with(db, principal, patient_id))


@router.post(
    "/patients/{patient_id}/documents",
    response_model=SharedDocumentOut,
    status_code=201,
    responses=ERRORS,
)
def share_document(
    request: Request, patient_id: Id, data: ShareIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Share the current version of a document with the patient to read in the portal;
    a version already shared is refused (409)."""
    return sharing.share(db, principal, patient_id, data.document_id, documents=shared_of(request))


@router.get("/consent-documents", response_model=Page[DocumentOut], responses=ERRORS)
def list_documents(request: Request, principal: CurrentPrincipal, paging: Paging) -> Any:
    """The documents this clinic may share: consents to sign, then documents to read,
    each by title."""
    consents = sorted(consents_of(request).values(), key=lambda d: (d.title, d.id))
    shared = sorted(shared_of(request).values(), key=lambda d: (d.title, d.id))
    return paging.of(
        [
            *({"kind": "consent", **_document(d)} for d in consents),
            *({"kind": "shared", **_document(d)} for d in shared),
        ]
    )


def _document(document: ConsentDocument | SharedDocument) -> dict[str, Any]:
    return {
        "id": document.id,
        "version": document.version,
        "title": document.title,
        "sha256": document.sha256,
    }
