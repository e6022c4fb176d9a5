"""Clinic closures from the public-holiday calendar of the clinic's country and state."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments.holidays import fill_closures, holiday_closures, region_of
from ketaclinic.appointments.models import ClinicClosure
from ketaclinic.auth.service import principal_for
from ketaclinic.kit.errors import Forbidden, ValidationFailed
from tests.conftest import Persona

YEAR = (date(2027, 1, 1), date(2027, 12, 31))


def test_it_closes_on_the_us_six_or_every_public_holiday_elsewhere() -> None:
    us = holiday_closures("US", "TX", *YEAR)
    assert us[date(2027, 7, 5)] == "Independence Day (observed)"
    assert date(2027, 1, 18) not in us  # Martin Luther King Jr. Day: open by default
    # The six, with the weekdays they are observed on: 4 July and Christmas fall at the
    # weekend in 2027, and so does New Year's Day 2028 (observed on 31 December).
    assert {name.removesuffix(" (observed)") for name in us.values()} == {
        "New Year's Day",
        "Memorial Day",
        "Independence Day",
        "Labor Day",
        "Thanksgiving Day",
        "Christmas Day",
    }
    assert us[date(2027, 12, 31)] == "New Year's Day (observed)"
    bavaria = holiday_closures("DE", "BY", *YEAR)
    assert date(2027, 1, 6) in bavaria and date(2027, 12, 25) in bavaria  # Epiphany in Bavaria
    with pytest.raises(ValidationFailed, match="country"):
        holiday_closures("XX", None, *YEAR)


def test_it_fills_the_clinics_closures_once_keeping_a_days_own_reason(
    db: Session, front_desk: Persona, nurse: Persona
) -> None:
    clinic = front_desk.clinic
    db.add(ClinicClosure(clinic_id=clinic.id, day=date(2027, 12, 24), reason="Staff party"))
    db.add(ClinicClosure(clinic_id=clinic.id, day=date(2027, 12, 25), reason="Closed"))
    db.flush()
    desk = principal_for(db, front_desk.user)
    added = fill_closures(db, desk, clinic, *YEAR, "US", "IL")
    expected = set(holiday_closures("US", "IL", *YEAR)) - {date(2027, 12, 24), date(2027, 12, 25)}
    assert {r.day for r in added} == expected
    assert fill_closures(db, desk, clinic, *YEAR, "US", "IL") == []
    days = {c.day: c.reason for c in repo.closures(db, clinic.id, *YEAR)}
    assert (
        days[date(2027, 11, 25)] == "Thanksgiving Day" and days[date(2027, 12, 24)] == "Staff party"
    )
    with pytest.raises(Forbidden):
        fill_closures(db, principal_for(db, nurse.user), clinic, *YEAR, "US", "IL")


def test_it_fills_from_the_clinics_own_country_and_state_unless_told_otherwise(
    db: Session, front_desk: Persona
) -> None:
    clinic = front_desk.clinic
    clinic.subdivision = "IL"
    assert region_of(clinic) == ("US", "IL")
    assert region_of(clinic, "us") == ("US", "IL")  # same country: the clinic's state
    assert region_of(clinic, "DE") == ("DE", None)  # IL is no German state
    assert region_of(clinic, "DE", "by") == ("DE", "BY")
    added = fill_closures(db, principal_for(db, front_desk.user), clinic, *YEAR)
    assert {r.day for r in added} == set(holiday_closures("US", "IL", *YEAR))
    with pytest.raises(ValidationFailed, match="subdivision"):
        holiday_closures("US", "ZZ", *YEAR)
