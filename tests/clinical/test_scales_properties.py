"""Properties that hold for every banded instrument and every valid answer set."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.scales import Instrument, band_for_total, load_instruments, score

BANDED = [instrument for instrument in load_instruments().values() if instrument.bands]


def band_rank(instrument: Instrument, total: int) -> int:
    return instrument.bands.index(band_for_total(instrument, total))


def answers_for(instrument: Instrument) -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries(
        {item.id: st.integers(0, item.max_value) for item in instrument.scored_items}
    )


instrument_and_answers = st.sampled_from(BANDED).flatmap(
    lambda instrument: st.tuples(st.just(instrument), answers_for(instrument))
)


@given(instrument_and_answers)
def test_it_always_gives_a_total_within_the_scale(case: tuple[Instrument, dict[str, int]]) -> None:
    instrument, answers = case
    result = score(instrument, answers)
    assert 0 <= result.total <= instrument.max_total
    assert result.band in {band.label for band in instrument.bands}


@given(st.sampled_from(BANDED).flatmap(lambda i: st.tuples(st.just(i), st.data())))
def test_it_never_puts_a_higher_total_in_a_lower_band(
    case: tuple[Instrument, st.DataObject],
) -> None:
    instrument, data = case
    low = data.draw(st.integers(0, instrument.max_total))
    high = data.draw(st.integers(low, instrument.max_total))
    assert band_rank(instrument, low) <= band_rank(instrument, high)


@given(instrument_and_answers, st.data())
def test_it_never_lowers_the_total_or_band_when_one_answer_goes_up_a_point(
    case: tuple[Instrument, dict[str, int]], data: st.DataObject
) -> None:
    instrument, answers = case
    raisable = [item.id for item in instrument.scored_items if answers[item.id] < item.max_value]
    if not raisable:
        return
    item_id = data.draw(st.sampled_from(raisable))
    before = score(instrument, answers)
    after = score(instrument, {**answers, item_id: answers[item_id] + 1})
    assert after.total >= before.total
    assert band_rank(instrument, after.total) >= band_rank(instrument, before.total)


@given(answers_for(load_instruments()["phq9"]))
def test_it_always_flags_suicide_risk_when_phq9_item_9_is_above_zero(
    answers: dict[str, int],
) -> None:
    result = score("phq9", answers)
    assert ("suicide_risk" in result.flags) is (answers["phq9_9"] > 0)


@given(instrument_and_answers)
def test_it_adds_up_plain_instruments_item_by_item(
    case: tuple[Instrument, dict[str, int]],
) -> None:
    instrument, answers = case
    if instrument.domains:
        return  # QIDS-SR16 has its own rules; see test_scales_qids
    assert score(instrument, answers).total == sum(answers.values())


@given(instrument_and_answers, st.data())
def test_it_moves_the_total_by_exactly_the_change_of_one_answer(
    case: tuple[Instrument, dict[str, int]], data: st.DataObject
) -> None:
    instrument, answers = case
    if instrument.domains:
        return  # QIDS-SR16 scores the maximum of each domain; see test_scales_qids
    item = data.draw(st.sampled_from(instrument.scored_items))
    value = data.draw(st.integers(0, item.max_value))
    before = score(instrument, answers)
    after = score(instrument, {**answers, item.id: value})
    assert after.total - before.total == value - answers[item.id]
