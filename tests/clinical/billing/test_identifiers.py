"""NPI and TIN checks (docs/clinical-references.md#billing-codes: CMS NPI check-digit
requirements, Luhn over the prefix 80840; IRS EIN format) and money in cents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.billing import (
    cents_of,
    dollars,
    normalise_tin,
    npi_problem,
    parse_cents,
    tin_problem,
)
from ketaclinic.clinical.billing.identifiers import NPI_PREFIX
from ketaclinic.clinical.checkdigits import luhn_digit


def test_it_accepts_cms_example_npi() -> None:
    assert npi_problem("1234567893") is None


@pytest.mark.parametrize(
    ("npi", "problem"),
    [
        ("1234567890", "check digit"),
        ("123456789", "10 digits"),
        ("12345678a3", "10 digits"),
        ("3234567893", "starts with 1 or 2"),
    ],
)
def test_it_refuses_a_malformed_npi_saying_why(npi: str, problem: str) -> None:
    assert problem in (npi_problem(npi) or "")


@given(st.from_regex(r"[12][0-9]{8}", fullmatch=True))
def test_it_accepts_exactly_one_check_digit_for_nine_digits(first_nine: str) -> None:
    valid = [d for d in "0123456789" if npi_problem(first_nine + d) is None]
    assert valid == [str(luhn_digit(NPI_PREFIX + first_nine))]


def test_it_writes_a_tin_as_an_ein() -> None:
    assert normalise_tin("741234567") == "74-1234567"
    assert tin_problem("74-1234567") is None
    assert "9 digits" in (tin_problem("74-12345") or "")
    assert "starts with 00" in (tin_problem("00-1234567") or "")


@given(st.integers(min_value=0, max_value=9_999_999_99))
def test_it_reads_back_every_amount_it_writes(cents: int) -> None:
    assert parse_cents(dollars(cents)) == cents


def test_it_keeps_money_exact() -> None:
    assert parse_cents("906") == 90600
    assert parse_cents("1,290.5") == 129050
    assert parse_cents("12.345") is None
    assert parse_cents("-5") is None
    assert cents_of(Decimal("906.10")) == 90610
    with pytest.raises(ValueError, match="two decimal places"):
        cents_of(Decimal("1.001"))
    assert dollars(-12345) == "-$123.45"
