"""The Luhn check digit (ISO/IEC 7812-1 annex B; docs/clinical-references.md#billing-codes),
shared by the NPI and the medical record number."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.checkdigits import luhn_digit, luhn_valid

bodies = st.text(alphabet="0123456789", min_size=1, max_size=20)


def test_it_gives_the_published_check_digits() -> None:
    assert luhn_digit("7992739871") == 3  # the textbook example
    assert luhn_digit("80840" + "123456789") == 3  # CMS's NPI 1234567893
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


@given(bodies)
def test_it_makes_every_body_valid_with_its_digit(body: str) -> None:
    assert luhn_valid(body + str(luhn_digit(body)))


@given(bodies)
def test_it_accepts_exactly_one_check_digit(body: str) -> None:
    assert [d for d in "0123456789" if luhn_valid(body + d)] == [str(luhn_digit(body))]


@given(bodies, st.data())
def test_it_catches_any_single_mistyped_digit(body: str, data: st.DataObject) -> None:
    number = body + str(luhn_digit(body))
    at = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != number[at]]))
    assert not luhn_valid(number[:at] + wrong + number[at + 1 :])


digits = st.text(alphabet="0123456789", max_size=10)
# Two different adjacent digits, never the 0/9 pair (the one swap Luhn cannot see).
pairs = st.sampled_from(
    [(a, b) for a in "0123456789" for b in "0123456789" if a != b and {a, b} != {"0", "9"}]
)


@given(digits, pairs, digits)
def test_it_catches_a_swap_of_two_adjacent_digits(
    before: str, pair: tuple[str, str], after: str
) -> None:
    first, second = pair
    check = str(luhn_digit(before + first + second + after))
    assert not luhn_valid(before + second + first + after + check)


@given(
    st.text(alphabet="0123456789", max_size=1)
    | st.from_regex(r"[0-9]*[a-z ][0-9]*", fullmatch=True)
)
def test_it_refuses_what_is_not_a_number_with_a_digit(text: str) -> None:
    assert not luhn_valid(text)
