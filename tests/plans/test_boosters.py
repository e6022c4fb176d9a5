"""The booster sessions a revision adds (plans.service.boosters.booster_sessions): numbered
after the plan's own, the first inside its window from the revision's day, each next one
inside its window after the one before."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.treatment import FollowOn, Gap
from ketaclinic.plans.service.boosters import booster_sessions


@st.composite
def rules(draw: st.DrawFn) -> FollowOn:
    low = draw(st.integers(0, 30))
    target = draw(st.integers(low, low + 30))
    high = draw(st.integers(target, target + 30))
    return FollowOn(
        when="relapse",
        source="docs/clinical-references.md#boosters",
        sessions=draw(st.integers(1, 12)),
        first_within_days=draw(st.integers(0, 60)),
        gap=Gap(min=low, target=target, max=high),
    )


@given(rules(), st.integers(0, 40), st.dates(date(2026, 1, 1), date(2030, 12, 31)))
def test_it_numbers_and_spaces_the_booster_sessions(
    rule: FollowOn, after: int, start: date
) -> None:
    rows = booster_sessions(rule, after, start)
    assert [r["number"] for r in rows] == list(range(after + 1, after + rule.sessions + 1))
    assert all(r["block"] == "booster" and r["optional"] is False for r in rows)
    first = rows[0]
    assert first["gap"] is None and first["earliest"] == first["target"] == start.isoformat()
    assert first["latest"] == (start + timedelta(days=rule.first_within_days)).isoformat()
    assert rule.gap is not None
    for before, row in pairwise(rows):
        previous = date.fromisoformat(before["target"])
        days = tuple(
            (date.fromisoformat(row[key]) - previous).days
            for key in ("earliest", "target", "latest")
        )
        assert days == (rule.gap.min, rule.gap.target, rule.gap.max)
        assert row["gap"] == {"min": rule.gap.min, "target": rule.gap.target, "max": rule.gap.max}
