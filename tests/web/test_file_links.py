"""Links to files (PDF, CSV, SVG, NDJSON) are never boosted by htmx.

``base.html`` boosts every link (``hx-boost="true"`` on the body): htmx then fetches
a link's target and swaps it into the page, so a boosted link to a PDF would paste
its bytes into the page instead of opening or downloading the file. Every template's
link to a file opts out with ``hx-boost="false"``."""

from __future__ import annotations

import re
from pathlib import Path

import ketaclinic

FILE_LINK = re.compile(r"<a\b[^>]*\bhref=\"[^\"]*\.(?:pdf|csv|svg|ndjson)(?:\?[^\"]*)?\"[^>]*>")
TEMPLATES = sorted(Path(ketaclinic.__file__).parent.glob("**/templates/**/*.html"))


def file_links_left_boosted(text: str) -> list[str]:
    return [m.group(0) for m in FILE_LINK.finditer(text) if 'hx-boost="false"' not in m.group(0)]


def test_it_finds_a_boosted_file_link_when_there_is_one() -> None:
    assert file_links_left_boosted('<a class="button" href="/sessions/1/note.pdf">Note</a>')
    assert file_links_left_boosted('<a href="/r.csv?from=1&amp;to=2">CSV</a>')
    assert not file_links_left_boosted('<a href="/sessions/1/note.pdf" hx-boost="false">N</a>')
    assert not file_links_left_boosted('<a href="/sessions/1">Session</a>')


def test_it_never_boosts_a_link_to_a_file() -> None:
    assert TEMPLATES
    boosted = {
        str(path.relative_to(Path(ketaclinic.__file__).parent)): found
        for path in TEMPLATES
        if (found := file_links_left_boosted(path.read_text(encoding="utf-8")))
    }
    assert boosted == {}
