"""Every instrument that asks about suicide can raise the safety alert.

docs/clinical-references.md#suicide-risk: QIDS-SR16 item 12 >= 1 flags for review and
>= 2 raises the alert; MADRS item 10 >= 2 flags and >= 4 raises the alert; PHQ-9
item 9 > 0 raises the alert. The thresholds are data, and a clinic may change them.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.alerts import alerts_for
from ketaclinic.clinical.scales import get_instrument, load_instruments, score

QIDS_ITEMS = [f"qids_sr16_{n}" for n in range(1, 17)]
MADRS_ITEMS = [f"madrs_{n}" for n in range(1, 11)]


def qids(item_12: int) -> dict[str, int]:
    return {item: 0 for item in QIDS_ITEMS} | {"qids_sr16_12": item_12}


def madrs(item_10: int) -> dict[str, int]:
    return {item: 0 for item in MADRS_ITEMS} | {"madrs_10": item_10}


BOTH = ("suicide_review", "suicide_risk")


@pytest.mark.parametrize(
    ("value", "flags"), [(0, ()), (1, ("suicide_review",)), (2, BOTH), (3, BOTH)]
)
def test_it_flags_the_qids_suicide_item_from_1_and_alerts_from_2(
    value: int, flags: tuple[str, ...]
) -> None:
    assert score("qids_sr16", qids(value)).flags == flags


@given(st.integers(0, 6))
def test_it_flags_the_madrs_suicide_item_from_2_and_alerts_from_4(value: int) -> None:
    flags = score("madrs", madrs(value)).flags
    assert ("suicide_review" in flags) is (value >= 2)
    assert ("suicide_risk" in flags) is (value >= 4)


def test_it_alerts_on_the_risk_flag_only_not_on_the_review_flag() -> None:
    assert alerts_for(["suicide_review"]) == []
    assert [kind for kind, _ in alerts_for(["suicide_review", "suicide_risk"])] == ["suicide_risk"]


def test_it_lets_a_clinic_move_a_suicide_threshold() -> None:
    assert "suicide_risk" in score("madrs", madrs(3), thresholds={"suicide_risk": 3}).flags
    assert "suicide_risk" not in score("qids_sr16", qids(2), thresholds={"suicide_risk": 3}).flags


@pytest.mark.parametrize("instrument_id", ["phq9", "qids_sr16", "madrs", "cssrs_screener"])
def test_it_gives_every_instrument_that_asks_about_suicide_a_sourced_alert_flag(
    instrument_id: str,
) -> None:
    flags = {flag.id: flag for flag in get_instrument(instrument_id).flags}
    assert "suicide_risk" in flags and flags["suicide_risk"].source.strip()


def test_it_alerts_from_exactly_the_instruments_that_ask_about_suicide() -> None:
    alerting = {
        inst.id
        for inst in load_instruments().values()
        if any(flag.id == "suicide_risk" for flag in inst.flags)
    }
    assert alerting == {"phq9", "qids_sr16", "madrs", "cssrs_screener"}
