"""The session note's PDF says whose signature it still awaits, keeps its vitals
chart and every word inside the margins, and sets its tables flush left."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from ketaclinic.kit.time import utcnow
from tests.chairside.conftest import Api, Chairside, backdate, reading, released, started
from tests.conftest import Persona
from tests.pdf_layout import Layout, read_layout

GOOD = {
    "activity": 2,
    "respiration": 2,
    "circulation": 2,
    "consciousness": 2,
    "oxygen_saturation": 2,
    "escort_present": True,
    "instructions_given": True,
}
MARGIN_MM, BOTTOM_MM = 10, 14  # fpdf2's default side margins; the note's page-break margin


def _note(api: Api, who: Persona, sid: int) -> Layout:
    response = api(who).get(f"/sessions/{sid}/note.pdf")
    assert response.status_code == 200, response.text
    return read_layout(response.content)


def _laid_out_well(pdf: Layout) -> None:
    assert pdf.outside(MARGIN_MM, MARGIN_MM, BOTTOM_MM - 2) == []
    assert [w for w in pdf.word_spacing if w] == []  # flush left, never justified


def test_it_says_the_note_awaits_the_prescriber_until_both_have_signed(
    api: Api, db: Session, nurse: Persona, prescriber: Persona, chairside: Chairside
) -> None:
    sid = released(api, nurse, prescriber, chairside)
    started(api, db, nurse, sid)
    # Readings through the infusion, one far above the chart's top, so there is a chart.
    for n, (minutes, systolic) in enumerate([(30, 131), (20, 262), (10, 118)], start=1):
        taken = (utcnow() - timedelta(minutes=minutes)).isoformat()
        sent = api(nurse).post(
            f"/api/v1/sessions/{sid}/vitals",
            json={"readings": [{**reading(n, systolic=systolic), "taken_at": taken}]},
        )
        assert sent.status_code in (200, 201), sent.text
    api(nurse).post(f"/api/v1/sessions/{sid}/end", json={"given_mg": "34.2"})
    backdate(db, sid, 31)
    assert api(nurse).post(f"/api/v1/sessions/{sid}/discharge", json=GOOD).status_code == 200

    draft = _note(api, nurse, sid)
    assert "Draft, not signed" in draft.text
    _laid_out_well(draft)

    assert api(nurse).post(f"/api/v1/sessions/{sid}/note/signatures").status_code == 201
    half = _note(api, nurse, sid)
    assert "Signed by the nurse, awaiting the prescriber" in half.text
    assert "SIGNED" not in half.text
    _laid_out_well(half)
    # The chart is drawn: lines inside the margins, and the legend names its series.
    assert sum(1 for ink in half.inks if ink.kind == "path") > 20
    assert "Systolic (red)" in half.text

    assert api(prescriber).post(f"/api/v1/sessions/{sid}/note/signatures").status_code == 201
    whole = _note(api, nurse, sid)
    assert "Signed by the nurse and the prescriber" in whole.text
    assert "awaiting" not in whole.text
    _laid_out_well(whole)
