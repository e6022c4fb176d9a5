"""The report's SQL on a hand-built cohort (tests/reports/fixture.py): every count as
worked out by hand from issue 20's definitions, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.reports import service
from ketaclinic.reports.repository import Filters
from tests.reports import fixture
from tests.reports.fixture import SINCE, UNTIL


@pytest.fixture
def cohort(db: Session, clinic: Clinic, other_clinic: Clinic) -> dict[str, int]:
    return fixture.build(db, clinic, other_clinic)


def _report(db: Session, clinic: Clinic, **narrow: object) -> service.OutcomeReport:
    f = Filters(clinic_ids=(clinic.id,), since=SINCE, until=UNTIL, **narrow)  # type: ignore[arg-type]
    p = service.params_for(db, [clinic.id])
    r = service.Request(since=SINCE, until=UNTIL)
    return service.build(db, f, p, r, (clinic.name,))


def test_it_counts_the_cohort_and_each_instrument_by_hand(
    db: Session, clinic: Clinic, cohort: dict[str, int]
) -> None:
    report = _report(db, clinic)
    # P1, P3 and P6 (whose last treatment is Sept 30 in Chicago, Oct 1 in UTC); not P2
    # (4 days), P4 (May), P5 (the other clinic).
    assert report.cohort == 3
    phq9 = report.instruments[0]
    assert (phq9.instrument_id, phq9.with_baseline, phq9.with_end, phq9.missing) == (
        "phq9",
        3,
        3,
        0,
    )
    assert (phq9.response.events, phq9.response.n) == (2, 3)  # P1 20->8, P3 12->3
    assert phq9.remission is not None
    assert (phq9.remission.events, phq9.remission.n) == (1, 2)  # P3; P6's baseline is 9
    assert phq9.change.mean == pytest.approx(-25 / 3)
    gad7 = next(i for i in report.instruments if i.instrument_id == "gad7")
    assert (gad7.with_baseline, gad7.with_end, gad7.missing) == (1, 0, 1)
    assert gad7.remission is None and gad7.response.n == 0
    assert report.missing == 1


def test_it_measures_durability_and_boosters_by_hand(
    db: Session, clinic: Clinic, cohort: dict[str, int]
) -> None:
    report = _report(db, clinic)
    km = report.durability
    # P1 loses response 28 days after its end measure (Oct 1 -> Oct 29); P3 has no
    # later score (censored at 0).
    assert (km.subjects, km.events) == (2, 1)
    assert [(pt.time, pt.survival) for pt in km.points] == [(0.0, 1.0), (28.0, 0.0)]
    boosters = report.boosters
    # P3's booster 39 days after Sept 11; P1 censored 61 days after Sept 12 (its last
    # score, Nov 12); P6 censored at its last score, Oct 10, 9 days after Oct 1 03:00.
    assert (boosters.subjects, boosters.events) == (3, 1)
    assert [pt.time for pt in boosters.points] == [0.0, pytest.approx(9.5), 39.0, 61.0]


def test_it_narrows_by_diagnosis_age_and_sex(
    db: Session, clinic: Clinic, cohort: dict[str, int]
) -> None:
    assert _report(db, clinic, diagnosis_prefixes=("F32", "F33")).cohort == 1  # P1
    assert _report(db, clinic, diagnosis_prefixes=("F431",)).cohort == 1  # P3
    assert _report(db, clinic, age_low=65).cohort == 1  # P6, 76
    assert _report(db, clinic, age_low=30, age_high=45).cohort == 1  # P3, 31
    assert _report(db, clinic, sex="male").cohort == 1
    assert _report(db, clinic, route="im_ketamine").cohort == 0
    assert _report(db, clinic, protocol="depression_iv_twice_weekly").cohort == 0
