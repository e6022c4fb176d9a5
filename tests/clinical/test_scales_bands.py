"""Every instrument's published severity bands, checked at each boundary."""

from __future__ import annotations

import pytest

from ketaclinic.clinical.scales import Instrument, band_for_total, get_instrument, score


def answers_adding_up_to(instrument: Instrument, total: int) -> dict[str, int]:
    """Answers whose published total is ``total``: fill items in order.

    Within a max-rule domain only the first item carries points, so the
    domain contributes exactly what we put there.
    """
    answers = {item.id: 0 for item in instrument.scored_items}
    later_domain_items = {item_id for domain in instrument.domains for item_id in domain.items[1:]}
    remaining = total
    for item in instrument.scored_items:
        if item.id in later_domain_items:
            continue
        answers[item.id] = min(remaining, item.max_value)
        remaining -= answers[item.id]
    assert remaining == 0, f"{total} is above the maximum of {instrument.id}"
    return answers


PUBLISHED_BANDS = {
    "phq9": [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
    "gad7": [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
    "qids_sr16": [
        (0, "none"),
        (5, "none"),
        (6, "mild"),
        (10, "mild"),
        (11, "moderate"),
        (15, "moderate"),
        (16, "severe"),
        (20, "severe"),
        (21, "very severe"),
        (27, "very severe"),
    ],
    "madrs": [
        (0, "symptom absent"),
        (6, "symptom absent"),
        (7, "mild"),
        (19, "mild"),
        (20, "moderate"),
        (34, "moderate"),
        (35, "severe"),
        (60, "severe"),
    ],
    "pain_nrs": [
        (0, "none"),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
    "pcl5": [(0, "reported"), (80, "reported")],
    "cadss": [(0, "reported"), (92, "reported")],
}

CASES = [
    (instrument_id, total, band)
    for instrument_id, bands in PUBLISHED_BANDS.items()
    for total, band in bands
]


@pytest.mark.parametrize(("instrument_id", "total", "band"), CASES)
def test_it_puts_each_boundary_total_in_the_published_band(
    instrument_id: str, total: int, band: str
) -> None:
    instrument = get_instrument(instrument_id)
    result = score(instrument, answers_adding_up_to(instrument, total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize("instrument_id", sorted(PUBLISHED_BANDS))
def test_it_covers_every_total_from_zero_to_the_maximum(instrument_id: str) -> None:
    instrument = get_instrument(instrument_id)
    labels = [band_for_total(instrument, total).label for total in range(instrument.max_total + 1)]
    assert labels[0] == instrument.bands[0].label
    assert labels[-1] == instrument.bands[-1].label
    assert set(labels) == {band.label for band in instrument.bands}


def test_it_refuses_to_band_a_total_outside_the_scale() -> None:
    phq9 = get_instrument("phq9")
    with pytest.raises(ValueError, match=r"outside 0\.\.27"):
        band_for_total(phq9, 28)
    with pytest.raises(ValueError, match=r"outside 0\.\.27"):
        band_for_total(phq9, -1)


def test_it_has_no_severity_bands_for_the_cssrs_screener() -> None:
    with pytest.raises(ValueError, match="no severity bands"):
        band_for_total(get_instrument("cssrs_screener"), 0)
