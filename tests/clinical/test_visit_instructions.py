"""The instructions a patient reads before a visit, by route, as data with sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical import visit_instructions

REFERENCES = Path(__file__).resolve().parents[2] / "docs" / "clinical-references.md"
ROUTES = ("iv", "im", "intranasal", "sublingual")


def test_it_cites_a_section_of_the_clinical_references_for_every_item() -> None:
    text = REFERENCES.read_text(encoding="utf-8")
    for item in visit_instructions.load().items:
        anchor = re.match(r"docs/clinical-references\.md#([a-z-]+)", item.source)
        assert anchor is not None, item.id
        assert f"\n## {anchor.group(1).replace('-', ' ').capitalize()}\n" in text, item.id


@pytest.mark.parametrize("route", ROUTES)
def test_it_gives_every_route_one_fasting_rule_an_escort_and_no_driving(route: str) -> None:
    shown = visit_instructions.for_route(route)
    assert sum(1 for i in shown if i.heading == "Eating and drinking") == 1
    assert {"escort", "driving"} <= {i.id for i in shown}


def test_it_asks_to_check_with_the_clinic_when_the_route_is_not_known() -> None:
    ids = [i.id for i in visit_instructions.for_route(None)]
    assert "fasting_ask" in ids and "fasting" not in ids and "driving" in ids


@given(st.text(max_size=12))
def test_it_never_shows_another_routes_fasting_rule(route: str) -> None:
    for item in visit_instructions.for_route(route):
        assert not item.routes or route in item.routes
        assert not item.unknown_route
