"""Consent documents as data (``documents/*.yaml``): versioned texts a patient reads
and signs; and the documents a clinic shares to read only (``shared/*.yaml``: a care
sheet, a visit guide). Pure: loading, validation, the SHA-256 of each body and which
documents a treatment route asks for (docs/clinical-references.md#consent-documents,
#shared-documents). A clinic's own directory over the packaged ones: ``library``.

The texts are the clinic's plain-language templates; the clinic must review them
before use. None of them is an official form of the Spravato REMS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from ketaclinic.clinical import datafiles

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Route = Annotated[str, Field(pattern=r"^(iv|im|sublingual|intranasal)$")]


class ConsentDocumentError(datafiles.DataFileError):
    code = "consent_document_invalid"


class RequiredFor(BaseModel):
    """Which plans ask for this document: any of these routes, or a REMS protocol."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    routes: tuple[Route, ...] = ()
    rems: bool = False


# Dotted numbers ("1.0", "2.1.3"), so a clinic's newer version can be told apart.
Version = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)*$", max_length=20)]


class ConsentDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["consent"] = "consent"
    id: Identifier
    version: Version
    title: Text
    summary: Text
    required_for: RequiredFor = RequiredFor()
    # The exact text signed: its hash is taken over these characters, unchanged.
    body: Annotated[str, Field(min_length=50)]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sha256(self) -> str:
        return body_hash(self.body)

    def required_by(self, route: str, rems: bool) -> bool:
        return route in self.required_for.routes or (rems and self.required_for.rems)


class SharedDocument(BaseModel):
    """A document the clinic shares for the patient to read (never to sign)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["shared"] = "shared"
    id: Identifier
    version: Version
    title: Text
    summary: Text
    # The exact text shared: its hash is taken over these characters, unchanged.
    body: Annotated[str, Field(min_length=50)]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sha256(self) -> str:
        return body_hash(self.body)


def body_hash(body: str) -> str:
    """SHA-256 (hex) of the exact body text, UTF-8."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def load_documents() -> dict[str, ConsentDocument]:
    """Every packaged document by id; a bad file stops start-up naming file and line."""
    directory = files("ketaclinic.clinical.consents") / "documents"
    return datafiles.load_directory(directory, ConsentDocument, ConsentDocumentError)


@lru_cache(maxsize=1)
def load_shared_documents() -> dict[str, SharedDocument]:
    """Every packaged shared document by id; a bad file stops start-up."""
    directory = files("ketaclinic.clinical.consents") / "shared"
    return datafiles.load_directory(directory, SharedDocument, ConsentDocumentError)


def required_documents(
    documents: Iterable[ConsentDocument], route: str, rems: bool
) -> list[ConsentDocument]:
    """The documents a plan on ``route`` (a REMS protocol when ``rems``) asks to sign."""
    return [d for d in documents if d.required_by(route, rems)]


__all__ = [
    "ConsentDocument",
    "ConsentDocumentError",
    "RequiredFor",
    "SharedDocument",
    "body_hash",
    "load_documents",
    "load_shared_documents",
    "required_documents",
]
