"""Consent documents as data: versioned texts, each hashed over its exact body."""

from __future__ import annotations

import hashlib

import pytest

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.consents import (
    ConsentDocument,
    ConsentDocumentError,
    body_hash,
    load_documents,
    required_documents,
)


def test_it_hashes_the_exact_body_text() -> None:
    for document in load_documents().values():
        assert document.sha256 == hashlib.sha256(document.body.encode("utf-8")).hexdigest()
    assert body_hash("a") != body_hash("a ")


def test_it_asks_iv_plans_for_the_infusion_consent_and_rems_plans_for_the_acknowledgement() -> None:
    documents = load_documents().values()
    assert [d.id for d in required_documents(documents, "iv", False)] == ["iv_ketamine_infusion"]
    assert [d.id for d in required_documents(documents, "intranasal", True)] == [
        "spravato_rems_acknowledgement"
    ]
    assert required_documents(documents, "im", False) == []


def test_it_never_presents_the_acknowledgement_as_the_official_rems_form() -> None:
    body = load_documents()["spravato_rems_acknowledgement"].body
    assert "This is not the official Spravato REMS Patient Enrollment Form" in body
    for document in load_documents().values():
        assert document.body.startswith("CLINIC TEMPLATE - TO BE REVIEWED BY THE CLINIC")


def test_it_refuses_a_document_without_a_version_naming_the_field() -> None:
    text = "id: x\ntitle: T\nsummary: S\nbody: " + "word " * 20
    with pytest.raises(ConsentDocumentError, match="version"):
        datafiles.parse(text, "x.yaml", ConsentDocument, ConsentDocumentError)
