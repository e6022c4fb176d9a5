"""Every citation in the code points at a section of the project's own references.

Code, YAML data and templates cite ``docs/clinical-references.md#<anchor>``; an anchor
that does not exist, or a citation of the old out-of-tree ``CLINICAL.md``, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "docs" / "clinical-references.md"
SRC = ROOT / "src" / "ketaclinic"
CITATION = re.compile(r"clinical-references\.md#([A-Za-z0-9_-]*)")
OLD = "CLINICAL.md"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors() -> set[str]:
    text = REFERENCES.read_text(encoding="utf-8")
    return {_anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def _source_files() -> list[Path]:
    kinds = {".py", ".yaml", ".html", ".md", ".txt"}
    return sorted(p for p in SRC.rglob("*") if p.suffix in kinds and "__pycache__" not in p.parts)


def test_it_gives_every_section_of_the_references_a_distinct_anchor() -> None:
    text = REFERENCES.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert len({_anchor(h.lstrip("#")) for h in headings}) == len(headings) > 10


def test_it_points_every_citation_in_src_at_an_existing_anchor() -> None:
    known = anchors()
    broken = []
    for path in _source_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for anchor in CITATION.findall(line):
                if anchor not in known:
                    broken.append(f"{path.relative_to(SRC)}:{number}: #{anchor}")
    assert broken == []


def test_it_cites_no_out_of_tree_clinical_md() -> None:
    stale = []
    for path in _source_files():
        relative = path.relative_to(SRC).as_posix()
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if OLD in line:
                stale.append(f"{relative}:{number}")
    assert stale == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [("Dose rounding", "dose-rounding"), ("Real-world outcomes", "real-world-outcomes")],
)
def test_it_derives_anchors_as_github_does(heading: str, anchor: str) -> None:
    assert _anchor(heading) == anchor
