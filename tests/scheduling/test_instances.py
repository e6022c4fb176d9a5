"""Benchmark instances: the sizes issue 7 names, the same every time for a seed."""

from __future__ import annotations

import pytest

from ketaclinic.scheduling import instances


@pytest.mark.parametrize(
    ("size", "chairs", "nurses", "days", "series"),
    [("small", 4, 2, 14, 40), ("medium", 10, 4, 28, 150), ("large", 24, 8, 56, 600)],
)
def test_it_builds_the_sizes_the_issue_names(
    size: str, chairs: int, nurses: int, days: int, series: int
) -> None:
    instance = instances.generate(size)
    assert len(instance.clinic.chairs) == chairs
    assert max(sum(1 for s in instance.clinic.nurse_shifts if s.day == d) for d in range(7)) == (
        nurses
    )
    assert instance.clinic.days == days
    assert len(instance.series) == series
    assert len(instances.generate(size, tight=True).series) == round(series * 1.6)


def test_it_generates_the_same_instance_for_the_same_seed() -> None:
    assert instances.generate("small", 7) == instances.generate("small", 7)
    assert instances.generate("small", 7) != instances.generate("small", 8)


def test_it_mixes_protocols_with_their_phases_and_long_chairs() -> None:
    instance = instances.generate("medium")
    protocols = {r.protocol for r in instance.series}
    assert {"crps_iv_daily", "esketamine_nasal", "depression_im"} <= protocols
    crps = next(r for r in instance.series if r.protocol == "crps_iv_daily")
    assert crps.sessions[0].long_chair and crps.sessions[0].administration_min == 240
    esketamine = next(r for r in instance.series if r.protocol == "esketamine_nasal")
    assert esketamine.sessions[0].observation_min == 120
    assert not esketamine.sessions[0].long_chair


def test_it_locks_the_first_sessions_of_series_under_way() -> None:
    instance = instances.generate("small")
    assert instance.locked
    assert {a.session for a in instance.locked} <= {0, 1}
