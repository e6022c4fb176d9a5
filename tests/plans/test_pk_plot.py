"""The PK preview names its model, gives each model's clearance, draws the one closest
to the Kamp 2020 meta-analysis by default and shows the spread across models."""

from __future__ import annotations

import pytest

from ketaclinic.plans.pk_plot import DEFAULT_MODEL, model_choices, preview, preview_svg


def test_it_draws_the_model_closest_to_the_meta_analysis_by_default() -> None:
    found = preview(70, 35, 40)
    assert DEFAULT_MODEL == found.model == "clements_nimmo"
    assert found.summary[0].drawn and found.summary[0].key == "clements_nimmo"
    assert [c.clearance_ml_per_kg_per_min for c in found.summary] == [19.1, 27.6, 36.0]
    assert found.reference_clearance_ml_per_kg_per_min == 18.8


def test_it_shows_the_spread_across_models_honestly() -> None:
    found = preview(70, 35, 40)
    low, high = found.peak_spread_ng_per_ml
    peaks = sorted(c.peak_ng_per_ml for c in found.summary)
    assert (low, high) == (peaks[0], peaks[-1]) and high > low
    svg = preview_svg(found, "0.5 mg/kg over 40 min").decode()
    assert "Model drawn: Clements &amp; Nimmo (1981)" in svg
    assert f"Peaks {low:.0f}-{high:.0f} ng/mL" in svg
    assert "CL 36 mL/kg/min" in svg and "CL 27.6 mL/kg/min" in svg


def test_it_draws_another_model_on_request_and_refuses_an_unknown_one() -> None:
    assert preview(70, 35, 40, model="domino").drawn.key == "domino"
    with pytest.raises(ValueError, match="unknown model"):
        preview(70, 35, 40, model="nope")


def test_it_lists_the_default_model_first_for_the_page() -> None:
    choices = model_choices()
    assert choices[0]["default"] and choices[0]["key"] == DEFAULT_MODEL
    assert {c["key"] for c in choices} == {"clements_nimmo", "domino", "hijazi"}
