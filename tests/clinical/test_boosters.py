"""Booster suggestions as data (clinical.boosters): the packaged rules load, and
``evaluate`` suggests a booster with its evidence exactly when a responder's scores
come back near baseline on consecutive measures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.clinical import boosters, course
from ketaclinic.clinical.boosters import BoosterRulesError, load_booster_rules
from ketaclinic.clinical.course import Treatment

ZONE = "America/Chicago"
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
INDUCTION = [Treatment(START + timedelta(days=n)) for n in (0, 3, 7, 10, 14, 17)]


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def _course(points: list[tuple[int, int]], extra: list[Treatment] | None = None) -> course.Course:
    scores = [(day(n), total) for n, total in points]
    return course.course([*INDUCTION, *(extra or [])], {"phq9": scores}, ZONE)


def test_it_loads_the_packaged_rules_with_their_sources() -> None:
    rules = load_booster_rules()
    rule = rules.rule("near_baseline")
    assert rule is not None and rule.practice
    assert "docs/clinical-references.md#boosters" in rule.source


def test_it_refuses_a_malformed_rules_file_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "boosters.yaml"
    path.write_text(
        "rules:\n  - id: x\n    label: X\n    kind: near_baseline\n    practice: true\n"
        "    instruments: [phq99]\n    within_fraction: booster_within_fraction\n"
        "    consecutive: booster_consecutive\n    message: m\n"
        "    source: docs/clinical-references.md#boosters\n"
    )
    with pytest.raises(BoosterRulesError, match=r"boosters\.yaml:\d+.*phq99"):
        load_booster_rules(path)


def test_it_suggests_a_booster_with_its_evidence() -> None:
    # Baseline 20, responder at day 30 (8). Near baseline (within 25%): 15 or more.
    found = _course([(0, 20), (30, 8), (45, 14), (52, 15), (59, 17), (66, 18)])
    [suggestion] = boosters.evaluate(found, load_booster_rules())
    assert suggestion.rule_id == "near_baseline"
    assert suggestion.scores == ((day(52), 15), (day(59), 17))
    assert suggestion.threshold == 15
    assert suggestion.key == f"phq9@{day(52).isoformat()}"
    evidence = suggestion.evidence()
    assert evidence["baseline"] == {"at": day(0).isoformat(), "total": 20}
    assert evidence["response"]["total"] == 8
    assert [s["total"] for s in evidence["scores"]] == [15, 17]


def test_it_suggests_nothing_for_a_non_responder_or_one_near_baseline_score() -> None:
    rules = load_booster_rules()
    assert boosters.evaluate(_course([(0, 20), (30, 12), (45, 19), (52, 20)]), rules) == []
    assert boosters.evaluate(_course([(0, 20), (30, 8), (45, 16), (52, 12), (59, 16)]), rules) == []


def test_it_looks_only_after_the_last_booster() -> None:
    points = [(0, 20), (30, 8), (45, 15), (52, 16)]
    after = boosters.evaluate(_course(points, [Treatment(day(53))]), load_booster_rules())
    assert after == []
    maintenance = _course(points, [Treatment(day(53), maintenance=True)])
    assert len(boosters.evaluate(maintenance, load_booster_rules())) == 1


def test_it_takes_the_clinics_limits() -> None:
    found = _course([(0, 20), (30, 8), (45, 13), (52, 13), (59, 13)])
    rules = load_booster_rules()
    assert boosters.evaluate(found, rules) == []
    wider = boosters.evaluate(found, rules, {"booster_within_fraction": "0.35"})
    assert [s.scores for s in wider] == [((day(45), 13), (day(52), 13))]
    three = boosters.evaluate(
        found, rules, {"booster_within_fraction": 0.35, "booster_consecutive": 3}
    )
    assert len(three[0].scores) == 3
    with pytest.raises(ValueError, match="booster_within_fraction"):
        boosters.limits_with({"booster_within_fraction": 1})


@settings(max_examples=200)
@given(
    st.integers(1, 27),
    st.lists(st.integers(0, 27), max_size=12),
    st.sampled_from([Fraction(1, 10), Fraction(1, 4), Fraction(1, 2)]),
    st.integers(1, 4),
)
def test_it_suggests_exactly_when_a_run_of_near_baseline_scores_follows_response(
    base: int, later: list[int], within: Fraction, needed: int
) -> None:
    points = [(0, base), (30, base // 2)] + [(31 + 7 * i, t) for i, t in enumerate(later)]
    found = _course(points)
    suggestions = boosters.evaluate(
        found,
        load_booster_rules(),
        {"booster_within_fraction": within, "booster_consecutive": needed},
    )
    summary = found.instrument("phq9")
    assert summary is not None
    near = [
        boosters.near_baseline(base, t, within) and not course.meets_response("phq9", base, t)
        for t in later
    ]
    has_run = any(all(near[i : i + needed]) for i in range(len(near) - needed + 1))
    assert bool(suggestions) == (bool(summary.response) and has_run)
    for s in suggestions:
        assert len(s.scores) == needed
        assert all(t >= s.threshold for _, t in s.scores)


def test_it_never_suggests_a_booster_while_the_score_still_meets_response() -> None:
    # PCL-5 responds by a fall of 10 points: from 50, a 38 is a response (a fall of 12)
    # though within a quarter of baseline (37.5 or more): no booster. Two scores of 41
    # (a fall of 9) no longer respond and are near baseline: a booster.
    scores = [(day(0), 50), (day(30), 38), (day(45), 38), (day(52), 38)]
    found = course.course(INDUCTION, {"pcl5": scores}, ZONE)
    assert boosters.evaluate(found, load_booster_rules()) == []
    lost = [*scores, (day(59), 41), (day(66), 41)]
    [suggestion] = boosters.evaluate(
        course.course(INDUCTION, {"pcl5": lost}, ZONE), load_booster_rules()
    )
    assert suggestion.instrument_id == "pcl5" and suggestion.scores == (
        (day(59), 41),
        (day(66), 41),
    )
