"""How messages name a clinic (clinical.messaging.sender_name): never by a name that
says what the care is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.messaging import NEUTRAL_NAME, REVEALING, revealing_words, sender_name


def test_it_names_a_revealing_clinic_your_clinic_until_it_chooses_a_name() -> None:
    assert sender_name("Lakeside Ketamine & Wellness", None) == NEUTRAL_NAME
    assert sender_name("Mesa Verde INFUSION Center", "  ") == NEUTRAL_NAME
    assert sender_name("Lakeside Ketamine & Wellness", " Lakeside Wellness ") == "Lakeside Wellness"
    assert sender_name("Riverside Health", None) == "Riverside Health"
    assert revealing_words("Austin Ketamine and Pain Clinic") == ["ketamine", "pain"]


@given(
    st.text(alphabet=st.characters(categories=("L", "Zs")), max_size=30),
    st.sampled_from(REVEALING),
    st.text(alphabet=st.characters(categories=("L", "Zs")), max_size=30),
)
def test_it_never_sends_a_name_with_a_revealing_word_unless_chosen(
    before: str, word: str, after: str
) -> None:
    name = f"{before}{word.upper()}{after}"
    shown = sender_name(name, None)
    assert shown == NEUTRAL_NAME and revealing_words(shown) == []
