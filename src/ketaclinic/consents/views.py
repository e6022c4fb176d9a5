"""Consent documents' pages: the patient's in the portal (what to sign, reading and
signing one, the signed copies, the documents shared to read) and the staff's on the
chart (the "Consents" section, the signed copies, sharing a document to sign or to
read). The documents are the clinic's (``clinic_data``: packaged, or the clinic's own
directory over them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinics.models import Clinic
from ketaclinic.consents import errors, service, sharing
from ketaclinic.consents.deps import consents_of, protocols_of, shared_of
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.fields import Id
from ketaclinic.kit.web import DbSession, Form
from ketaclinic.patients.models import Patient
from ketaclinic.portal.deps import CurrentPatient, clinic_name, render_portal
from ketaclinic.portal.errors import PortalRecordNotFound

router = APIRouter(prefix="/patients", include_in_schema=False)
portal = APIRouter(prefix="/portal/documents", include_in_schema=False)


def _zone(db: Session, clinic_id: int) -> str:
    clinic = db.get(Clinic, clinic_id)
    return clinic.timezone if clinic is not None else "UTC"


def _pdf(filename: str, body: bytes) -> Response:
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# ---- the patient, in the portal -----------------------------------------------------


@portal.get("")
def documents(request: Request, db: DbSession, patient: CurrentPatient) -> Response:
    found = service.documents_for(
        db,
        patient,
        patient.patient_id,
        documents=consents_of(request),
        protocols=protocols_of(request),
    )
    # One read of the documents page is recorded (above); the shared list is part of it.
    shared = sharing.shared_with(db, patient, patient.patient_id, audited=False)
    context = {
        "nav": "documents",
        "tz": _zone(db, patient.clinic_id),
        "to_sign": found.to_sign,
        "signed": found.signed,
        "shared": shared,
        "just_signed": request.query_params.get("signed") == "1",
    }
    return render_portal(request, "consents/portal_list.html", patient, context, db=db)


def _document_page(
    request: Request,
    db: Session,
    patient: CurrentPatient,
    document_id: str,
    *,
    typed_name: str = "",
    error: str | None = None,
) -> Response:
    try:
        status = service.document_for(
            db,
            patient,
            patient.patient_id,
            document_id,
            documents=consents_of(request),
            protocols=protocols_of(request),
        )
    except errors.DocumentNotFound:
        raise PortalRecordNotFound() from None
    context: dict[str, Any] = {
        "nav": "documents",
        "tz": _zone(db, patient.clinic_id),
        "status": status,
        "document": status.document,
        "typed_name": typed_name,
        "error": error,
    }
    return render_portal(
        request,
        "consents/portal_document.html",
        patient,
        context,
        db=db,
        status_code=422 if error else 200,
    )


@portal.get("/{document_id}")
def document(
    request: Request, db: DbSession, patient: CurrentPatient, document_id: str
) -> Response:
    return _document_page(request, db, patient, document_id)


@portal.post("/{document_id}/sign")
def sign(
    request: Request, db: DbSession, patient: CurrentPatient, form: Form, document_id: str
) -> Response:
    typed = str(form.get("typed_name") or "")
    try:
        service.sign(
            db,
            patient,
            document_id,
            typed,
            ip_address=patient.origin.ip or (request.client.host if request.client else ""),
            user_agent=request.headers.get("user-agent", ""),
            clinic_name=clinic_name(db, patient.clinic_id),
            documents=consents_of(request),
            protocols=protocols_of(request),
        )
    except (errors.NameMismatch, errors.NameMissing) as exc:
        return _document_page(
            request, db, patient, document_id, typed_name=typed, error=exc.fields["typed_name"]
        )
    except errors.DocumentNotFound:
        raise PortalRecordNotFound() from None
    return RedirectResponse("/portal/documents?signed=1", status_code=303)


@portal.get("/shared/{share_id}")
def shared_document(
    request: Request, db: DbSession, patient: CurrentPatient, share_id: Id
) -> Response:
    """A document the clinic shared, as it was shared; opening it is recorded."""
    try:
        row = sharing.open_shared(db, patient, share_id)
    except errors.SharedDocumentNotFound:
        raise PortalRecordNotFound() from None
    context = {"nav": "documents", "tz": _zone(db, patient.clinic_id), "copy": row}
    return render_portal(request, "consents/portal_shared.html", patient, context, db=db)


@portal.get("/signed/{signature_id}.pdf")
def signed_copy(db: DbSession, patient: CurrentPatient, signature_id: Id) -> Response:
    try:
        filename, body = service.signed_copy(db, patient, patient.patient_id, signature_id)
    except errors.SignatureNotFound:
        raise PortalRecordNotFound() from None
    return _pdf(filename, body)


# ---- staff, on the chart --------------------------------------------------------------


def chart_context(
    request: Request, db: Session, principal: Principal, patient: Patient
) -> dict[str, Any]:
    """What the chart's "Consents" and "Shared documents" sections show
    (consents/_chart.html)."""
    # The chart's own read is recorded once (patients.views); this section is part of it.
    documents = consents_of(request)
    found = service.documents_for(
        db,
        principal,
        patient.id,
        documents=documents,
        protocols=protocols_of(request),
        audited=False,
    )
    asked = {s.document.id for s in (*found.to_sign, *found.signed)}
    copies = sharing.shared_with(db, principal, patient.id, audited=False)
    return {
        "to_sign": found.to_sign,
        "signed": found.signed,
        "history": found.history,
        "can_share": principal.can(Permission.PATIENT_WRITE, patient.clinic_id),
        "shareable": [d for d in documents.values() if d.id not in asked],
        "shared": copies,
        "to_share": sharing.shareable(copies, shared_of(request)),
    }


@router.get("/{patient_id}/consents/{signature_id}.pdf")
def staff_copy(
    db: DbSession, principal: CurrentPrincipal, patient_id: Id, signature_id: Id
) -> Response:
    filename, body = service.signed_copy(db, principal, patient_id, signature_id)
    return _pdf(filename, body)


@router.post("/{patient_id}/consents/share")
def share(
    request: Request, db: DbSession, principal: CurrentPrincipal, form: Form, patient_id: Id
) -> Response:
    service.share(
        db,
        principal,
        patient_id,
        str(form.get("document_id") or ""),
        documents=consents_of(request),
    )
    return RedirectResponse(f"/patients/{patient_id}#consents", status_code=303)


@router.post("/{patient_id}/documents/share")
def share_to_read(
    request: Request, db: DbSession, principal: CurrentPrincipal, form: Form, patient_id: Id
) -> Response:
    """Share a document with the patient to read in the portal."""
    sharing.share(
        db, principal, patient_id, str(form.get("document_id") or ""), documents=shared_of(request)
    )
    return RedirectResponse(f"/patients/{patient_id}#shared-documents", status_code=303)
