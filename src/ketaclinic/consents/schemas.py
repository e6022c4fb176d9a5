"""API shapes for consent documents (to sign) and documents shared to read."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.kit.fields import Bool, IsoDateTime
from ketaclinic.kit.pagination import Page


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_id: str = Field(
        min_length=1, max_length=60, description="One of /api/v1/consent-documents' ids"
    )


class SignatureOut(BaseModel):
    """A consent the patient signed in the portal: the exact version and text signed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    document_id: str
    document_version: str
    document_title: str
    document_sha256: str = Field(description="SHA-256 of the exact text signed")
    typed_name: str
    signed_at: IsoDateTime
    pdf_path: str = Field(description="The signed copy (PDF), kept when it was signed")


class ToSignOut(BaseModel):
    """A document the patient is asked to sign and has not signed in this version."""

    document_id: str
    document_version: str
    document_title: str
    document_sha256: str
    required: Bool = Field(description="One of the patient's plans asks for it")
    earlier_signature_id: int | None = Field(
        description="The newest signature of an earlier version (a new version asks again)"
    )


class ConsentsOut(Page[SignatureOut]):
    """The patient's signatures, newest first, with what is still to sign beside them."""

    to_sign: list[ToSignOut]


class ConsentRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    document_id: str
    requested_by_id: int
    requested_at: IsoDateTime


class SharedDocumentOut(BaseModel):
    """A document shared with the patient to read, as it was shared."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    document_id: str
    document_version: str
    document_title: str
    document_sha256: str = Field(description="SHA-256 of the exact text shared")
    shared_at: IsoDateTime
    shared_by_id: int | None = Field(description="None when shared on its own")
    shared_reason: str | None = Field(description="Why, when no one shared it by hand")
    first_read_at: IsoDateTime | None
    last_read_at: IsoDateTime | None


class DocumentOut(BaseModel):
    """A document this clinic may share: to sign (``consent``) or to read (``shared``)."""

    id: str
    kind: Literal["consent", "shared"]
    version: str
    title: str
    sha256: str
