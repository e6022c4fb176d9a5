"""A typed signature matches the chart's name loosely, never a different name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.consents.names import matches


def test_it_ignores_case_accents_punctuation_and_spacing() -> None:
    assert matches("  maya   LINDQVIST ", "Maya", "Lindqvist")
    assert matches("José Núñez", "Jose", "Nunez")
    assert matches("Siobhan O'Brien", "Siobhán", "OBrien")
    assert matches("Lindqvist, Maya", "Maya", "Lindqvist")
    assert matches("Maya Ann Lindqvist", "Maya", "Lindqvist")
    assert matches("王 小明", "小明", "王")


def test_it_refuses_another_name_or_half_of_it() -> None:
    assert not matches("Maya", "Maya", "Lindqvist")
    assert not matches("Noor Lindqvist", "Maya", "Lindqvist")
    assert not matches("", "Maya", "Lindqvist")


# Latin letters with accents (a letter whose capital is another letter, like the dotless
# i, would not survive upper-casing the name in the test itself).
LATIN = [c for c in map(chr, range(0x41, 0x100)) if c.isalpha() and c not in "ªºµ"]
names = st.text(alphabet=st.sampled_from(LATIN), min_size=1, max_size=12)


@given(names, names)
def test_it_accepts_the_chart_name_as_written(given_name: str, family_name: str) -> None:
    from ketaclinic.consents.names import words

    if words(given_name) and words(family_name):
        assert matches(f"{given_name} {family_name}", given_name, family_name)
        assert matches(f"{family_name.upper()} {given_name.lower()}", given_name, family_name)


@given(names, names, names)
def test_it_refuses_a_name_missing_a_word(given_name: str, family_name: str, other: str) -> None:
    from ketaclinic.consents.names import words

    if words(family_name) and set(words(family_name)).isdisjoint(words(f"{given_name} {other}")):
        assert not matches(f"{given_name} {other}", given_name, family_name)
