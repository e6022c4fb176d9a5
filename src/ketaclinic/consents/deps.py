"""What the consents' pages and API read from the app: the clinic's documents to sign
and to share (``clinic_data``: packaged, or the clinic's own directory over them) and
the treatment protocols their plans ask by."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from ketaclinic.clinical.consents import (
    ConsentDocument,
    SharedDocument,
    load_documents,
    load_shared_documents,
)
from ketaclinic.clinical.treatment import Protocol


def protocols_of(request: Request) -> Mapping[str, Protocol] | None:
    return getattr(request.app.state, "protocols", None)


def consents_of(request: Request) -> Mapping[str, ConsentDocument]:
    """The consent documents this clinic asks patients to sign."""
    data = getattr(request.app.state, "clinic_data", None)
    return data.consents if data is not None else load_documents()


def shared_of(request: Request) -> Mapping[str, SharedDocument]:
    """The documents this clinic shares with patients to read."""
    data = getattr(request.app.state, "clinic_data", None)
    return data.shared_documents if data is not None else load_shared_documents()
