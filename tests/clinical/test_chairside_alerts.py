"""Vital-sign alerts: every default threshold at its boundary, confirmation over
sequences of readings, phases, the clinic's overrides and the rule file itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.chairside.alerts import (
    ACTION_LABELS,
    ALERT_ACTIONS,
    MEASURE_LABELS,
    MEASURES,
    PHASES,
    PLAUSIBLE,
    AlertRules,
    AlertRulesError,
    Finding,
    Phase,
    Reading,
    ThresholdError,
    evaluate,
    load_alert_rules,
    next_reading_due,
    reading_problems,
    start_problems,
    thresholds_with,
)
from ketaclinic.clinical.treatment.model import Thresholds

PROTOCOL = files("ketaclinic.clinical.treatment") / "protocols" / "depression_iv_twice_weekly.yaml"
LIMITS: dict[str, int] = yaml.safe_load(PROTOCOL.read_text())["monitoring"]["thresholds"]
THRESHOLDS = Thresholds(**LIMITS)
RULES = load_alert_rules()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float, **values: Any) -> Reading:
    return Reading(at=T0 + timedelta(minutes=minutes), **values)


def by_rule(history: list[Reading], phase: Phase = "administration") -> dict[str, Finding]:
    return {f.rule_id: f for f in evaluate(history, RULES, THRESHOLDS, phase)}


# --- the default rules -----------------------------------------------------------


def test_it_uses_the_default_thresholds_of_clinical_md() -> None:
    assert (LIMITS["systolic_above"], LIMITS["diastolic_above"]) == (180, 110)
    assert (LIMITS["systolic_urgent_above"], LIMITS["diastolic_urgent_above"]) == (200, 120)
    assert LIMITS["spo2_below"] == 92 and LIMITS["start_hold_systolic_above"] == 160


def test_it_ships_the_rules_of_the_brief_each_with_a_source() -> None:
    assert [r.id for r in RULES.rules] == [
        "bp_severe",
        "bp_high",
        "hr_high",
        "hr_low",
        "spo2_low",
        "rr_low",
        "rr_high",
        "start_hold",
    ]
    severities = {r.id: r.severity for r in RULES.rules}
    assert severities == {
        "bp_severe": "urgent",
        "bp_high": "warning",
        "hr_high": "warning",
        "hr_low": "warning",
        "spo2_low": "urgent",
        "rr_low": "urgent",
        "rr_high": "warning",
        "start_hold": "hold",
    }
    for rule in RULES.rules:
        assert "clinical-references.md#" in rule.source and set(rule.actions) <= set(ALERT_ACTIONS)
    assert "Yip" in RULES.rule("bp_severe").source and "Yip" in RULES.rule("bp_severe").message
    assert RULES.rule("bp_severe").actions == (
        "pause",
        "rescue_medication",
        "notify_prescriber",
        "stop",
    )
    assert RULES.rule("bp_high").actions == (
        "recheck",
        "pause",
        "rate_change",
        "rescue_medication",
        "notify_prescriber",
    )
    assert RULES.rule("start_hold").phases == ("pre_dose",)
    assert set(ACTION_LABELS) == set(ALERT_ACTIONS) and set(MEASURE_LABELS) == set(MEASURES)


# (rule, measure, "above"/"below", limit) written from CLINICAL.md, not read from the rules.
BOUNDARIES = [
    ("bp_severe", "systolic", "above", 200),
    ("bp_severe", "diastolic", "above", 120),
    ("bp_high", "systolic", "above", 180),
    ("bp_high", "diastolic", "above", 110),
    ("hr_high", "heart_rate", "above", 120),
    ("hr_low", "heart_rate", "below", 50),
    ("spo2_low", "spo2", "below", 92),
    ("rr_low", "respiratory_rate", "below", 10),
    ("rr_high", "respiratory_rate", "above", 30),
    ("start_hold", "systolic", "above", 160),
    ("start_hold", "diastolic", "above", 100),
]
CONFIRMED_AT_ONCE = {"bp_severe", "hr_low", "spo2_low", "rr_low", "rr_high", "start_hold"}


@pytest.mark.parametrize(("rule_id", "measure", "side", "limit"), BOUNDARIES)
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_it_alerts_strictly_beyond_every_limit(
    rule_id: str, measure: str, side: str, limit: int, offset: int
) -> None:
    phase: Phase = "pre_dose" if rule_id == "start_hold" else "administration"
    value = limit + offset
    finding = by_rule([at(0, **{measure: value})], phase).get(rule_id)
    beyond = value > limit if side == "above" else value < limit
    if not beyond:
        assert finding is None
        return
    assert finding is not None
    assert (finding.measure, finding.value, finding.limit) == (measure, value, limit)
    assert finding.status == ("confirmed" if rule_id in CONFIRMED_AT_ONCE else "pending")
    assert finding.at == T0 and finding.actions == RULES.rule(rule_id).actions


def test_it_reports_the_first_condition_met_on_the_newest_reading() -> None:
    both = by_rule([at(0, systolic=205, diastolic=125)])["bp_severe"]
    assert (both.measure, both.value, both.limit) == ("systolic", 205, 200)
    diastolic = by_rule([at(0, systolic=150, diastolic=125)])["bp_severe"]
    assert (diastolic.measure, diastolic.value, diastolic.limit) == ("diastolic", 125, 120)


def test_it_raises_nothing_on_normal_readings_or_an_empty_history() -> None:
    normal = at(0, systolic=130, diastolic=80, heart_rate=80, spo2=98, respiratory_rate=14)
    assert evaluate([normal], RULES, THRESHOLDS, "administration") == []
    assert evaluate([], RULES, THRESHOLDS, "administration") == []


# --- confirmation ----------------------------------------------------------------


def test_it_confirms_high_bp_only_on_a_second_reading_5_minutes_later() -> None:
    first = at(0, systolic=185, diastolic=90)
    pending = by_rule([first])["bp_high"]
    assert pending.status == "pending" and pending.recheck_by == T0 + timedelta(minutes=5)
    early = by_rule([first, at(4, systolic=186, diastolic=90)])["bp_high"]
    assert early.status == "pending" and early.recheck_by == T0 + timedelta(minutes=5)
    confirmed = by_rule([first, at(5, systolic=186, diastolic=90)])["bp_high"]
    assert confirmed.status == "confirmed" and confirmed.recheck_by is None
    assert confirmed.value == 186 and confirmed.at == T0 + timedelta(minutes=5)


def test_it_starts_over_after_a_normal_reading() -> None:
    history = [at(0, systolic=185), at(2, systolic=150), at(6, systolic=185)]
    finding = by_rule(history)["bp_high"]
    assert finding.status == "pending" and finding.recheck_by == T0 + timedelta(minutes=11)


def test_it_is_not_interrupted_by_readings_without_blood_pressure() -> None:
    history = [at(0, systolic=185), at(3, spo2=97, heart_rate=80), at(5, systolic=190)]
    assert by_rule(history)["bp_high"].status == "confirmed"
    # The newest reading itself has no BP: it raises no BP alert at all.
    assert "bp_high" not in by_rule([*history, at(7, spo2=97)])


def test_it_counts_either_bp_condition_in_the_run() -> None:
    history = [at(0, systolic=150, diastolic=115), at(5, systolic=185, diastolic=90)]
    finding = by_rule(history)["bp_high"]
    assert finding.status == "confirmed" and finding.measure == "systolic"


def test_it_forgets_a_breach_once_the_newest_reading_is_normal() -> None:
    assert by_rule([at(0, systolic=210), at(5, systolic=140)]) == {}


def test_it_sorts_the_history_by_time() -> None:
    history = [at(5, systolic=186), at(0, systolic=185)]
    assert by_rule(history)["bp_high"].status == "confirmed"
    assert by_rule([at(5, systolic=140), at(0, systolic=185)]) == {}


def test_it_confirms_a_fast_heart_rate_sustained_for_5_minutes() -> None:
    start = at(0, heart_rate=125)
    assert by_rule([start, at(3, heart_rate=130)])["hr_high"].recheck_by == T0 + timedelta(
        minutes=5
    )
    assert by_rule([start, at(5, heart_rate=121)])["hr_high"].status == "confirmed"
    assert by_rule([start, at(3, heart_rate=100), at(5, heart_rate=125)])["hr_high"].status == (
        "pending"
    )


def test_it_uses_the_clinic_confirmation_interval() -> None:
    thresholds = thresholds_with(THRESHOLDS, {"confirm_after_min": 10})
    history = [at(0, systolic=185), at(5, systolic=185)]
    [finding] = [
        f for f in evaluate(history, RULES, thresholds, "observation") if f.rule_id == "bp_high"
    ]
    assert finding.status == "pending" and finding.recheck_by == T0 + timedelta(minutes=10)


def test_it_never_schedules_a_recheck_in_the_past() -> None:
    text = _RULE.replace(
        "confirm: {readings: 2, apart_min: 5}", "confirm: {readings: 3, apart_min: 5}"
    )
    rules = AlertRules.model_validate(yaml.safe_load(text))
    history = [at(0, systolic=185), at(10, systolic=185)]
    [finding] = evaluate(history, rules, THRESHOLDS, "administration")
    assert finding.status == "pending" and finding.recheck_by == T0 + timedelta(minutes=10)
    [finding] = evaluate([*history, at(12, systolic=185)], rules, THRESHOLDS, "administration")
    assert finding.status == "confirmed"


# --- phases ------------------------------------------------------------------------


@pytest.mark.parametrize("phase", PHASES)
def test_it_holds_the_start_only_before_the_dose(phase: Phase) -> None:
    found = by_rule([at(0, systolic=170, diastolic=90)], phase)
    assert ("start_hold" in found) == (phase == "pre_dose")


@pytest.mark.parametrize("phase", PHASES)
def test_it_applies_the_other_rules_in_every_phase(phase: Phase) -> None:
    assert set(by_rule([at(0, systolic=210, spo2=88, heart_rate=45)], phase)) >= {
        "bp_severe",
        "spo2_low",
        "hr_low",
    }


# --- reading due -----------------------------------------------------------------


def test_it_schedules_the_next_reading_or_an_earlier_recheck() -> None:
    assert next_reading_due(None, 15) is None
    assert next_reading_due(T0, 15) == T0 + timedelta(minutes=15)
    pending = by_rule([at(0, systolic=185)])["bp_high"]
    assert next_reading_due(T0, 15, [pending]) == T0 + timedelta(minutes=5)
    assert next_reading_due(None, 15, [pending]) == T0 + timedelta(minutes=5)
    confirmed = by_rule([at(0, systolic=210)])["bp_severe"]
    assert next_reading_due(T0, 15, [confirmed]) == T0 + timedelta(minutes=15)
    assert next_reading_due(None, 15, [confirmed]) is None


# --- the start ---------------------------------------------------------------------


def test_it_holds_the_start_without_a_reading_or_a_blood_pressure() -> None:
    assert start_problems(None, THRESHOLDS) == ["no vital signs recorded before the start"]
    assert start_problems(at(0, spo2=98), THRESHOLDS) == [
        "no blood pressure recorded before the start"
    ]


def test_it_starts_at_the_start_limit_and_holds_above_it() -> None:
    assert start_problems(at(0, systolic=160, diastolic=100, spo2=98), THRESHOLDS) == []
    [problem] = start_problems(at(0, systolic=161, diastolic=100), THRESHOLDS)
    assert problem == "Start on hold: systolic BP 161 mmHg is above 160"
    [problem] = start_problems(at(0, systolic=150, diastolic=101), THRESHOLDS)
    assert "diastolic BP 101 mmHg is above 100" in problem


def test_it_holds_the_start_for_any_other_alert() -> None:
    problems = start_problems(
        at(0, systolic=130, diastolic=80, spo2=90, heart_rate=130), THRESHOLDS
    )
    assert problems == [
        "Fast heart rate: heart rate 130/min is above 120",
        "Low oxygen saturation: SpO2 90% is below 92",
    ]


def test_it_holds_the_start_on_an_impossible_reading() -> None:
    assert start_problems(at(0, systolic=400, diastolic=80), THRESHOLDS) == [
        "systolic: 400 is not a possible systolic BP (40-300 mmHg)"
    ]


# --- readings that cannot be right -------------------------------------------------


def test_it_names_impossible_values_by_field() -> None:
    assert reading_problems(at(0, systolic=400, diastolic=80)) == {
        "systolic": "400 is not a possible systolic BP (40-300 mmHg)"
    }
    assert reading_problems(at(0, spo2=120)) == {"spo2": "120 is not a possible SpO2 (50-100%)"}
    assert reading_problems(at(0, sedation=-6)) == {
        "sedation": "-6 is not a possible RASS score (-5 to 4)"
    }


@pytest.mark.parametrize("measure", MEASURES)
def test_it_accepts_the_plausible_range_inclusive(measure: str) -> None:
    low, high = PLAUSIBLE[measure]  # type: ignore[index]
    for value in (low, high):
        assert measure not in reading_problems(at(0, **{measure: value}))
    for value in (low - 1, high + 1):
        assert measure in reading_problems(at(0, **{measure: value}))


def test_it_uses_the_documented_plausible_ranges() -> None:
    assert PLAUSIBLE == {
        "systolic": (40, 300),
        "diastolic": (20, 200),
        "heart_rate": (20, 250),
        "spo2": (50, 100),
        "respiratory_rate": (2, 80),
        "sedation": (-5, 4),
        "cadss": (0, 92),
    }


def test_it_refuses_a_diastolic_not_below_the_systolic() -> None:
    assert reading_problems(at(0, systolic=120, diastolic=120)) == {
        "diastolic": "diastolic BP 120 must be below systolic BP 120"
    }
    assert reading_problems(at(0, systolic=121, diastolic=120)) == {}


def test_it_refuses_an_empty_reading_and_a_non_number() -> None:
    assert reading_problems(Reading(at=T0, on_oxygen=True)) == {
        "reading": "enter at least one value"
    }
    assert set(reading_problems(at(0, heart_rate=True))) == {"heart_rate"}
    with pytest.raises(KeyError):
        at(0).value("temperature")  # type: ignore[arg-type]


# --- the clinic's overrides ------------------------------------------------------


def test_it_applies_a_clinic_override_without_changing_the_protocol() -> None:
    changed = thresholds_with(THRESHOLDS, {"systolic_above": 170})
    assert changed.systolic_above == 170 and THRESHOLDS.systolic_above == 180
    assert changed.diastolic_above == 110
    assert by_rule([at(0, systolic=175)]).keys() == set()
    assert "bp_high" in {
        f.rule_id for f in evaluate([at(0, systolic=175)], RULES, changed, "observation")
    }


def test_it_refuses_unknown_or_out_of_range_overrides_naming_the_field() -> None:
    with pytest.raises(ThresholdError, match=r"^systolic_max: not a threshold") as unknown:
        thresholds_with(THRESHOLDS, {"systolic_max": 170})
    assert unknown.value.field == "systolic_max"
    with pytest.raises(ThresholdError, match=r"^spo2_below: ") as out_of_range:
        thresholds_with(THRESHOLDS, {"spo2_below": 101})
    assert out_of_range.value.field == "spo2_below"
    assert isinstance(out_of_range.value, ValueError)


# --- the rule file ---------------------------------------------------------------

_RULE = """\
rules:
  - id: bp_high
    label: High BP
    severity: warning
    any:
      - {measure: systolic, above: systolic_above}
    confirm: {readings: 2, apart_min: 5}
    actions: [recheck]
    message: High.
    source: test
"""


def _load(tmp_path: Path, text: str) -> AlertRules:
    path = tmp_path / "clinic_rules.yaml"
    path.write_text(text)
    return load_alert_rules(path)


def test_it_loads_a_clinic_rule_file(tmp_path: Path) -> None:
    rules = _load(tmp_path, _RULE)
    assert rules.rule("bp_high").confirm is not None
    with pytest.raises(KeyError):
        rules.rule("nothing")


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            "above: systolic_above",
            "above: systolic_highest",
            r"clinic_rules\.yaml:6: .*'systolic_highest' is not a threshold",
        ),
        (
            "above: systolic_above",
            "above: 180, below: 90",
            r"clinic_rules\.yaml:6: .*exactly one of above or below",
        ),
        ("{measure: systolic,", "{measure: temperature,", r"clinic_rules\.yaml:6: "),
        (
            "readings: 2, apart_min: 5",
            "readings: 2",
            r"clinic_rules\.yaml:7: .*either readings and apart_min",
        ),
        ("readings: 2, apart_min: 5", "readings: 1, apart_min: 5", r"clinic_rules\.yaml:7: "),
        (
            "readings: 2, apart_min: 5",
            "readings: 2, apart_min: 5, sustained_min: 5",
            r":7: .*either",
        ),
        ("[recheck]", "[recheck, pray]", r"clinic_rules\.yaml:8: "),
        ("severity: warning", "severity: mild", r"clinic_rules\.yaml:4: "),
        ("    source: test\n", "", r"clinic_rules\.yaml:2: .*source"),
        ("rules:", "rules: []\nnot_rules:", r"clinic_rules\.yaml"),
    ],
)
def test_it_names_file_and_line_of_a_bad_rule(
    tmp_path: Path, old: str, new: str, where: str
) -> None:
    assert old in _RULE
    with pytest.raises(AlertRulesError, match=where):
        _load(tmp_path, _RULE.replace(old, new))


def test_it_refuses_a_repeated_rule_id_at_its_line(tmp_path: Path) -> None:
    again = _RULE.split("\n", 1)[1]
    with pytest.raises(
        AlertRulesError, match=r"clinic_rules\.yaml:11: duplicate rule id 'bp_high'"
    ):
        _load(tmp_path, _RULE + again)


def test_it_refuses_broken_yaml_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(AlertRulesError, match=r"clinic_rules\.yaml:\d+: invalid YAML"):
        _load(tmp_path, _RULE + "  - id: [unclosed\n")


# --- properties ------------------------------------------------------------------

# Once-rules as CLINICAL.md states them: (measure, side, limit), independent of the YAML.
ONCE_RULES: dict[str, list[tuple[str, str, int]]] = {
    "bp_severe": [("systolic", ">", 200), ("diastolic", ">", 120)],
    "hr_low": [("heart_rate", "<", 50)],
    "spo2_low": [("spo2", "<", 92)],
    "rr_low": [("respiratory_rate", "<", 10)],
    "rr_high": [("respiratory_rate", ">", 30)],
    "start_hold": [("systolic", ">", 160), ("diastolic", ">", 100)],
}


def reference_once(history: list[Reading], phase: Phase) -> list[tuple[str, str, int, int]]:
    newest = max(history, key=lambda r: r.at)
    found = []
    for rule_id, conditions in ONCE_RULES.items():
        if rule_id == "start_hold" and phase != "pre_dose":
            continue
        for measure, side, limit in conditions:
            value = getattr(newest, measure)
            if value is not None and (value > limit if side == ">" else value < limit):
                found.append((rule_id, measure, value, limit))
                break
    return found


def maybe(low: int, high: int) -> st.SearchStrategy[int | None]:
    return st.none() | st.integers(low, high)


readings = st.builds(
    dict,
    systolic=maybe(100, 230),
    diastolic=maybe(60, 140),
    heart_rate=maybe(35, 150),
    spo2=maybe(80, 100),
    respiratory_rate=maybe(4, 40),
)
histories = st.lists(
    st.tuples(st.integers(0, 90), readings), min_size=1, max_size=12, unique_by=lambda t: t[0]
).map(lambda items: [at(minute, **values) for minute, values in items])


@given(histories, st.sampled_from(PHASES))
def test_it_matches_a_reference_for_the_rules_that_fire_at_once(
    history: list[Reading], phase: Phase
) -> None:
    found = [
        (f.rule_id, f.measure, f.value, f.limit)
        for f in evaluate(history, RULES, THRESHOLDS, phase)
        if f.rule_id in ONCE_RULES
    ]
    assert found == reference_once(history, phase)
    assert all(
        f.status == "confirmed"
        for f in evaluate(history, RULES, THRESHOLDS, phase)
        if f.rule_id in ONCE_RULES
    )


@given(histories, st.sampled_from(PHASES))
def test_it_confirms_high_bp_only_on_two_breaching_readings_5_minutes_apart(
    history: list[Reading], phase: Phase
) -> None:
    def high(reading: Reading) -> bool:
        return (reading.systolic or 0) > 180 or (reading.diastolic or 0) > 110

    newest = max(history, key=lambda r: r.at)
    for finding in evaluate(history, RULES, THRESHOLDS, phase):
        assert finding.at == newest.at
        assert (finding.status == "pending") == (finding.recheck_by is not None)
        if finding.recheck_by is not None:
            assert finding.recheck_by >= newest.at
        if finding.rule_id == "bp_high" and finding.status == "confirmed":
            breaching = [r for r in history if high(r)]
            assert len(breaching) >= 2 and high(newest)
            assert newest.at - min(r.at for r in breaching) >= timedelta(minutes=5)
