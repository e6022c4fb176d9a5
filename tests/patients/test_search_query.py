"""The search box: dates in the forms the pages show, phone numbers in any punctuation."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.patients.search_query import parse, read_date


def test_it_reads_iso_us_and_written_dates() -> None:
    for text in (
        "1984-03-21",
        "03/21/1984",
        "3/21/1984",
        "03-21-1984",
        "21 March 1984",
        "March 21, 1984",
        "Mar 21 1984",
    ):
        assert read_date(text) == date(1984, 3, 21), text
    assert read_date("03/04/1984") == date(1984, 3, 4)  # month first: a US clinic
    assert read_date("13/13/1984") is None


def test_it_splits_words_a_birth_date_and_phone_digits() -> None:
    query = parse("lind 03/21/1984")
    assert (query.terms, query.birth_date, query.phone_digits) == (["lind"], date(1984, 3, 21), [])
    assert parse("(512) 555-0147").phone_digits == ["5125550147"]
    assert parse("+1 512.555.0147 maya").phone_digits == ["15125550147"]
    assert parse("+1 512.555.0147 maya").terms == ["maya"]
    # An MRN is a word, not a phone number; short numbers stay words too.
    assert parse("KC12345678").terms == ["KC12345678"]
    assert parse("smith 1984").terms == ["smith", "1984"]


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_it_reads_back_every_date_as_the_pages_and_a_us_date_field_show_it(day: date) -> None:
    for text in (
        day.isoformat(),
        day.strftime("%m/%d/%Y"),
        day.strftime("%d %B %Y"),
        f"{day.month}/{day.day}/{day.year}",
    ):
        assert read_date(text) == day, text
        assert parse(f"maya {text}").birth_date == day
