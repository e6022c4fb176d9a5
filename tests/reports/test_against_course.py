"""The report's SQL against the pure course (clinical/course.py), the reference for
issue 20's definitions: a seeded random cohort of patients with random series and
scores, stored, reported in SQL, and worked out patient by patient in Python. Every
count, mean and survival figure must agree, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from ketaclinic.clinical import course as pure
from ketaclinic.clinical.outcomes import Point
from ketaclinic.clinics.models import Clinic
from ketaclinic.reports import service
from ketaclinic.reports.repository import Filters
from tests.conftest import CLINIC_TZ
from tests.reports import fixture
from tests.reports.fixture import SINCE, UNTIL

INSTRUMENTS = ("phq9", "gad7", "pcl5", "pain_nrs", "madrs")
MAXIMA = {"phq9": 27, "gad7": 21, "pcl5": 80, "pain_nrs": 10, "madrs": 60}


def _random_patient(
    rng: random.Random,
) -> tuple[list[datetime], dict[str, list[Point]]]:
    """A series starting in August or September 2026 (some too short, some too sparse)
    and scores before, during and after it, at distinct minutes."""
    start = datetime(2026, 8, 1, 14, tzinfo=UTC) + timedelta(days=rng.randrange(0, 60))
    treatments = [start]
    for _ in range(rng.randrange(1, 10)):
        treatments.append(treatments[-1] + timedelta(days=rng.randrange(1, 8), hours=1))
    if rng.random() < 0.3:  # a later treatment: maintenance or a booster
        treatments.append(treatments[-1] + timedelta(days=rng.randrange(20, 60)))
    scores: dict[str, list[Point]] = {}
    minute = 0
    for instrument in rng.sample(INSTRUMENTS, rng.randrange(1, 4)):
        top = MAXIMA[instrument]
        base = rng.randrange(top // 3, top + 1)
        points: list[Point] = []
        when = start - timedelta(days=rng.randrange(0, 5), hours=3)
        for _ in range(rng.randrange(1, 9)):
            minute += 1
            points.append((when + timedelta(minutes=minute), rng.randrange(0, base + 1)))
            when += timedelta(days=rng.randrange(3, 16))
        points[0] = (points[0][0], base)
        scores[instrument] = points
    return treatments, scores


@pytest.fixture
def cohort(db: Session, clinic: Clinic) -> list[pure.Course]:
    rng = random.Random(20)
    courses = []
    for n in range(60):
        treatments, scores = _random_patient(rng)
        pid = fixture.patient(db, clinic, 100 + n)
        fixture.treat(db, pid, *treatments)
        for instrument, points in scores.items():
            for when, total in points:
                fixture.score(db, pid, instrument, when, total)
        courses.append(pure.course([pure.Treatment(t) for t in treatments], scores, CLINIC_TZ))
    db.flush()
    return courses


def test_it_agrees_with_the_pure_course_patient_by_patient(
    db: Session, clinic: Clinic, cohort: list[pure.Course]
) -> None:
    f = Filters(clinic_ids=(clinic.id,), since=SINCE, until=UNTIL)
    report = service.build(
        db,
        f,
        service.params_for(db, [clinic.id]),
        service.Request(since=SINCE, until=UNTIL),
        (clinic.name,),
    )
    inside = [
        c
        for c in cohort
        if c.induction is not None
        and c.induction.completed
        and SINCE <= c.induction.end_day <= UNTIL
    ]
    assert len(inside) >= 10, "the seed should put a cohort in the range"
    assert report.cohort == len(inside)
    for figures in report.instruments:
        if figures.instrument_id not in INSTRUMENTS:
            continue
        rows = [i for c in inside if (i := c.instrument(figures.instrument_id))]
        with_baseline = [i for i in rows if i.baseline is not None]
        with_end = [i for i in with_baseline if i.end is not None]
        assert (figures.with_baseline, figures.with_end) == (
            len(with_baseline),
            len(with_end),
        ), figures.instrument_id
        responders = [i for i in with_end if i.response]
        assert (figures.response.events, figures.response.n) == (len(responders), len(with_end))
        if figures.remission is not None:
            assessable = [i for i in with_end if i.remission is not None]
            assert (figures.remission.events, figures.remission.n) == (
                sum(1 for i in assessable if i.remission),
                len(assessable),
            ), figures.instrument_id
        changes = [i.change for i in with_end if i.change is not None]
        if changes:
            assert figures.change.mean == pytest.approx(sum(changes) / len(changes))
    phq9 = [
        i.durability for c in inside if (i := c.instrument("phq9")) and i.durability is not None
    ]
    assert (report.durability.subjects, report.durability.events) == (
        len(phq9),
        sum(1 for d in phq9 if d.lost_at is not None),
    )
    boosters = [c.first_booster for c in inside if c.first_booster is not None]
    assert (report.boosters.subjects, report.boosters.events) == (
        len(boosters),
        sum(1 for b in boosters if b.at is not None),
    )
