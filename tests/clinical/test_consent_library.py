"""The documents a clinic serves: the packaged consents and shared documents, with a
clinic's own directory over them (a newer version replaces, a new id adds), refused
naming the file, line and field."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ketaclinic.clinical.consents import ConsentDocumentError, load_shared_documents
from ketaclinic.clinical.consents.library import load_library, version_key

BODY = (
    "  Reviewed by the clinic on 1 December 2026. Rest today; do not drive until the\n"
    "  next day after a night's sleep. Call or text 988 if you have thoughts of harm.\n"
)


def write(directory: Path, name: str, **fields: str) -> Path:
    lines = [f"{key}: {value}" for key, value in fields.items()]
    path = directory / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\nbody: |\n" + BODY, encoding="utf-8")
    return path


def shared(directory: Path, name: str, version: str = '"1.1"', **more: str) -> Path:
    fields = {"kind": "shared", "id": name, "version": version, "title": "After your visit"}
    fields |= {"summary": "What to do today."} | more
    return write(directory, name, **fields)


def test_it_packages_the_care_sheet_and_visit_guides_as_templates_to_review() -> None:
    documents = load_shared_documents()
    assert sorted(documents) == ["after_infusion_care", "esketamine_visit_guide", "first_infusion"]
    for document in documents.values():
        assert document.body.startswith("CLINIC TEMPLATE - TO BE REVIEWED BY THE CLINIC")
        assert document.sha256 == hashlib.sha256(document.body.encode()).hexdigest()


def test_it_serves_the_packaged_documents_without_a_directory() -> None:
    library = load_library(None)
    assert "iv_ketamine_infusion" in library.consents
    assert "after_infusion_care" in library.shared
    assert all(s.file is None for s in library.sources)


def test_it_replaces_a_packaged_document_with_the_clinics_newer_version(tmp_path: Path) -> None:
    shared(tmp_path, "after_infusion_care", '"1.10"')
    library = load_library(tmp_path)
    mine = library.shared["after_infusion_care"]
    assert (mine.version, mine.title) == ("1.10", "After your visit")
    source = next(s for s in library.sources if s.document.id == "after_infusion_care")
    assert (source.file, source.replaces) == ("after_infusion_care.yaml", "1.0")
    assert [s.document.id for s in library.sources].count("after_infusion_care") == 1


def test_it_adds_a_document_with_a_new_id(tmp_path: Path) -> None:
    shared(tmp_path, "parking_and_arrival", '"1.0"')
    write(
        tmp_path,
        "photo_consent",
        kind="consent",
        id="photo_consent",
        version='"1.0"',
        title="Consent to photographs",
        summary="For the clinic's records only.",
    )
    library = load_library(tmp_path)
    assert "parking_and_arrival" in library.shared
    assert "photo_consent" in library.consents
    assert "after_infusion_care" in library.shared  # the packaged ones stay


@pytest.mark.parametrize("version", ['"1.0"', '"0.9"'])
def test_it_refuses_a_version_not_newer_than_the_packaged_one(tmp_path: Path, version: str) -> None:
    shared(tmp_path, "after_infusion_care", version)
    with pytest.raises(ConsentDocumentError) as refused:
        load_library(tmp_path)
    assert refused.value.source == "after_infusion_care.yaml"
    assert refused.value.line == 3
    assert refused.value.problem.startswith("version:")
    assert "not newer than the packaged version '1.0'" in str(refused.value)


def test_it_refuses_a_file_that_does_not_say_its_kind(tmp_path: Path) -> None:
    write(tmp_path, "leaflet", id="leaflet", version='"1.0"', title="A", summary="B")
    with pytest.raises(ConsentDocumentError, match=r"^leaflet.yaml:1: kind: Field required"):
        load_library(tmp_path)


def test_it_refuses_a_bad_field_naming_file_line_and_field(tmp_path: Path) -> None:
    shared(tmp_path, "leaflet", version='"one"')
    with pytest.raises(ConsentDocumentError, match=r"^leaflet.yaml:3: version: "):
        load_library(tmp_path)


def test_it_refuses_a_shared_document_under_a_consents_id(tmp_path: Path) -> None:
    shared(tmp_path, "iv_ketamine_infusion", '"2.0"')
    with pytest.raises(ConsentDocumentError, match="is a packaged consent document"):
        load_library(tmp_path)


def test_it_refuses_an_id_that_is_not_the_files_name(tmp_path: Path) -> None:
    path = shared(tmp_path, "leaflet")
    path.rename(tmp_path / "other.yaml")
    with pytest.raises(ConsentDocumentError, match=r"^other.yaml:1: id: 'leaflet'"):
        load_library(tmp_path)


def test_it_compares_versions_as_numbers() -> None:
    assert version_key("1.10") > version_key("1.9") > version_key("1")
    assert version_key("2") > version_key("1.99")
