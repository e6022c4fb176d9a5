"""QIDS-SR16 totals follow the published nine-domain rules (Rush et al. 2003)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.scales import score


def qids(**values: int) -> dict[str, int]:
    answers = {f"qids_sr16_{n}": 0 for n in range(1, 17)}
    answers.update({f"qids_sr16_{name.removeprefix('q')}": v for name, v in values.items()})
    return answers


def test_it_counts_only_the_worst_sleep_appetite_and_psychomotor_items() -> None:
    # Sleep items 1, 3, 0, 2 -> 3; appetite/weight 0, 2, 1, 0 -> 2;
    # psychomotor 1, 2 -> 2; then mood 2, concentration 1, self-view 1,
    # suicide 0, interest 2, energy 1. Total 3 + 2 + 2 + 2 + 1 + 1 + 0 + 2 + 1 = 14.
    answers = qids(
        q1=1,
        q2=3,
        q3=0,
        q4=2,
        q6=0,
        q7=2,
        q8=1,
        q9=0,
        q15=1,
        q16=2,
        q5=2,
        q10=1,
        q11=1,
        q12=0,
        q13=2,
        q14=1,
    )
    result = score("qids_sr16", answers)
    assert result.total == 14
    assert result.band == "moderate"
    assert result.subscores == {"sleep": 3, "appetite_weight": 2, "psychomotor": 2}


def test_it_scores_every_item_at_its_worst_as_27_not_48() -> None:
    result = score("qids_sr16", {f"qids_sr16_{n}": 3 for n in range(1, 17)})
    assert (result.total, result.band) == (27, "very severe")


def test_it_does_not_add_up_two_bad_sleep_items() -> None:
    assert score("qids_sr16", qids(q1=3, q4=3)).total == 3


def test_it_takes_the_higher_of_eating_less_and_weight_gain() -> None:
    assert score("qids_sr16", qids(q6=1, q9=2)).subscores["appetite_weight"] == 2


def test_it_adds_the_six_single_item_domains_as_they_are() -> None:
    result = score("qids_sr16", qids(q5=3, q10=3, q11=3, q12=3, q13=3, q14=3))
    assert result.total == 18


@given(st.lists(st.integers(0, 3), min_size=16, max_size=16))
def test_it_always_totals_the_nine_domains(values: list[int]) -> None:
    item = dict(zip(range(1, 17), values, strict=True))
    expected = (
        max(item[n] for n in (1, 2, 3, 4))
        + max(item[n] for n in (6, 7, 8, 9))
        + max(item[n] for n in (15, 16))
        + sum(item[n] for n in (5, 10, 11, 12, 13, 14))
    )
    answers = {f"qids_sr16_{n}": v for n, v in item.items()}
    assert score("qids_sr16", answers).total == expected
