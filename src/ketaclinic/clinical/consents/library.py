"""The documents a clinic serves: the packaged consent and shared documents with the
clinic's own directory over them (``documents_dir``), so a clinic puts its reviewed
text in place without changing the package. Pure: files in, documents out.

Each file in the clinic's directory says what it is (``kind: consent`` or ``kind:
shared``). A file whose id is a packaged document's replaces it only with a newer
version (dotted numbers compared as numbers: "1.10" is newer than "1.9"); a new id adds
a document. Anything else is refused naming the file, its line and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.consents import (
    ConsentDocument,
    ConsentDocumentError,
    SharedDocument,
    load_documents,
    load_shared_documents,
)

Document = ConsentDocument | SharedDocument
KINDS = {"consent": "consent document", "shared": "shared document"}


class _Kind(BaseModel):
    """Only the ``kind`` key, read first to choose the model."""

    model_config = ConfigDict(extra="ignore")
    kind: Literal["consent", "shared"]


@dataclass(frozen=True)
class Source:
    """Where a served document comes from (the CLI lists it; pages never show it)."""

    document: Document
    file: str | None  # the clinic's file name; None when packaged
    replaces: str | None = None  # the packaged version it supersedes


@dataclass(frozen=True)
class Library:
    consents: dict[str, ConsentDocument]
    shared: dict[str, SharedDocument]
    sources: list[Source] = field(default_factory=list)


def version_key(version: str) -> tuple[int, ...]:
    """ "1.10" → (1, 10): versions compare as numbers, part by part."""
    return tuple(int(part) for part in version.split("."))


def _read(path: Path) -> Document:
    text = path.read_text(encoding="utf-8")
    kind = datafiles.parse(text, path.name, _Kind, ConsentDocumentError).kind
    model: type[Document] = ConsentDocument if kind == "consent" else SharedDocument
    loaded = datafiles.parse(text, path.name, model, ConsentDocumentError)
    if loaded.id != path.name.removesuffix(".yaml"):
        raise ConsentDocumentError(path.name, 1, f"id: {loaded.id!r} is not the file's name")
    return loaded


def _version_line(path: Path) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("version:"):
            return number
    return None


def load_library(directory: Path | None = None) -> Library:
    """The packaged documents, with the clinic's ``directory`` over them (if any)."""
    consents = dict(load_documents())
    shared = dict(load_shared_documents())
    sources = [Source(c, None) for c in consents.values()]
    sources += [Source(d, None) for d in shared.values()]
    if directory is None:
        return Library(consents, shared, sources)
    if not directory.is_dir():
        raise ConsentDocumentError(str(directory), None, "not a directory")
    packaged: dict[str, Document] = {**consents, **shared}
    for path in sorted(directory.glob("*.yaml")):
        document = _read(path)
        before = packaged.get(document.id)
        replaces = None
        if before is not None:
            if before.kind != document.kind:
                raise ConsentDocumentError(
                    path.name,
                    1,
                    f"id: {document.id!r} is a packaged {KINDS[before.kind]}; "
                    f"a {KINDS[document.kind]} needs another id",
                )
            if version_key(document.version) <= version_key(before.version):
                raise ConsentDocumentError(
                    path.name,
                    _version_line(path),
                    f"version: {document.version!r} is not newer than the packaged "
                    f"version {before.version!r}; give the clinic's text a newer version",
                )
            replaces = before.version
            sources = [s for s in sources if s.document.id != document.id]
        if isinstance(document, ConsentDocument):
            consents[document.id] = document
        else:
            shared[document.id] = document
        sources.append(Source(document, path.name, replaces))
    return Library(
        consents, shared, sorted(sources, key=lambda s: (s.document.kind, s.document.id))
    )


__all__ = ["Document", "Library", "Source", "load_library", "version_key"]
