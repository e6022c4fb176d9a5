"""Consent documents' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, NotFound


class ConsentPatientNotFound(NotFound):
    code = "consent_patient_not_found"
    default_message = "No such patient."


class DocumentNotFound(NotFound):
    code = "consent_document_not_found"
    default_message = "No such document to sign."


class UnknownDocument(FieldInvalid):
    code = "consent_document_unknown"
    field = "document_id"
    default_message = "choose one of the clinic's documents"


class SignatureNotFound(NotFound):
    code = "consent_signature_not_found"
    default_message = "No such signed document."


class AlreadySigned(Conflict):
    code = "consent_already_signed"
    default_message = "You have already signed this version of the document."


class AlreadyShared(Conflict):
    code = "consent_already_shared"
    default_message = "The patient is already asked to sign this document."


class NameMismatch(FieldInvalid):
    code = "consent_name_mismatch"
    field = "typed_name"
    default_message = "does not match the name on your record"


class NameMissing(FieldInvalid):
    code = "consent_name_missing"
    field = "typed_name"
    default_message = "type your full name to sign"


class UnknownSharedDocument(FieldInvalid):
    code = "shared_document_unknown"
    field = "document_id"
    default_message = "choose one of the clinic's documents to share"


class DocumentAlreadyShared(Conflict):
    code = "shared_document_already_shared"
    default_message = "This version of the document is already shared with the patient."


class SharedDocumentNotFound(NotFound):
    code = "shared_document_not_found"
    default_message = "No such shared document."
