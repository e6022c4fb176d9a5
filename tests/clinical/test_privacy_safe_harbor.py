"""The Safe Harbor rules for the values a research export coarsens."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.privacy import safe_harbor

RESTRICTED = [
    "036",
    "059",
    "063",
    "102",
    "203",
    "556",
    "692",
    "790",
    "821",
    "823",
    "830",
    "831",
    "878",
    "879",
    "884",
    "890",
    "893",
]


def test_it_lists_the_17_restricted_zip_areas_with_a_source() -> None:
    rules = safe_harbor.rules()
    assert sorted(rules.restricted_zip3) == RESTRICTED
    assert "164.514" in rules.restricted_zip3_source or "De-identification" in (
        rules.restricted_zip3_source
    )


@pytest.mark.parametrize("prefix", RESTRICTED)
def test_it_shows_a_restricted_zip_area_as_000(prefix: str) -> None:
    assert safe_harbor.zip3(f"{prefix}01") == "000"
    assert safe_harbor.zip3(f"{prefix}01-1234") == "000"


def test_it_keeps_the_first_three_digits_elsewhere_and_nothing_of_a_partial_zip() -> None:
    assert safe_harbor.zip3("78704") == "787"
    assert safe_harbor.zip3("87501-2233") == "875"
    assert safe_harbor.zip3("8750") == ""
    assert safe_harbor.zip3(None) == ""


def test_it_groups_ages_over_89_and_withholds_their_birth_year() -> None:
    on = date(2026, 12, 4)
    assert safe_harbor.age_group(date(1936, 12, 5), on) == "89"
    assert safe_harbor.birth_year(date(1936, 12, 5), on) == "1936"
    assert safe_harbor.age_group(date(1936, 12, 4), on) == "90+"
    assert safe_harbor.birth_year(date(1936, 12, 4), on) == ""
    assert safe_harbor.age_group(date(1920, 1, 1), on) == "90+"


@given(st.binary(min_size=1, max_size=32), st.text(min_size=1, max_size=20))
def test_it_shifts_a_patient_by_the_same_nonzero_offset_within_180_days(
    secret: bytes, key: str
) -> None:
    offset = safe_harbor.date_offset(secret, key)
    assert offset == safe_harbor.date_offset(secret, key)
    assert offset != 0 and -180 <= offset <= 180


def test_it_gives_other_patients_and_other_secrets_other_offsets() -> None:
    offsets = {safe_harbor.date_offset(b"secret", f"patient {n}") for n in range(50)}
    assert len(offsets) > 30
    assert safe_harbor.date_offset(b"one", "p") != safe_harbor.date_offset(b"two", "p")


def test_it_shifts_the_calendar_date_and_drops_the_time() -> None:
    assert safe_harbor.shift(datetime(2026, 3, 1, 15, 30), -1) == date(2026, 2, 28)
    assert safe_harbor.shift(date(2026, 1, 1), 31) == date(2026, 2, 1)
