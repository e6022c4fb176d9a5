"""Which scoring flags must be acknowledged by a clinician."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.alerts import DEFAULT_ALERT_RULES, AlertRule, alerts_for
from ketaclinic.clinical.scales import score


def test_it_alerts_on_phq9_item_9_above_zero_and_not_at_zero() -> None:
    answers = {f"phq9_{i}": 0 for i in range(1, 10)}
    assert alerts_for(score("phq9", answers).flags) == []
    answers["phq9_9"] = 1
    [(flag, message)] = alerts_for(score("phq9", answers).flags)
    assert flag == "suicide_risk" and "Suicide-risk" in message


def test_it_cites_a_source_for_every_default_rule() -> None:
    assert all("clinical-references.md#" in rule.source for rule in DEFAULT_ALERT_RULES.values())


def test_it_lets_a_clinic_add_its_own_rule() -> None:
    rules = {**DEFAULT_ALERT_RULES, "severe": AlertRule("Severe depression", "clinic policy")}
    assert [f for f, _ in alerts_for(["severe", "other"], rules)] == ["severe"]


@given(st.lists(st.sampled_from(["suicide_risk", "probable_ptsd", "x", "y"])))
def test_it_raises_one_alert_per_ruled_flag_whatever_else_is_set(flags: list[str]) -> None:
    raised = alerts_for(flags)
    assert [f for f, _ in raised] == (["suicide_risk"] if "suicide_risk" in flags else [])
