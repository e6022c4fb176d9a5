"""The controlled-substance ledger's rules: each invariant, the DEA deadlines, and
thousands of random operation sequences that never leave a negative balance and
agree with an independent recomputation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.clinical.controlled import (
    Adjust,
    Administer,
    Destroy,
    DrawForSession,
    Ledger,
    LedgerError,
    Loss,
    Operation,
    Receive,
    Return,
    Reverse,
    Transfer,
    Waste,
    add_business_days,
    apply,
    loss_deadlines,
    replay,
)

NURSE, WITNESS, SECOND, OUTSIDER = 1, 2, 3, 99
START = Ledger(authorised=frozenset({NURSE, WITNESS, SECOND}))
D = Decimal


def stocked(waste_witnesses: int = 1) -> Ledger:
    """A ledger with one 500 mg vial received into safe A."""
    start = Ledger(authorised=START.authorised, waste_witnesses=waste_witnesses)
    receipt = Receive("vial-1", "LOT42", date(2027, 6, 30), "safe A", D(500), by=NURSE)
    return apply(start, receipt)


def test_it_draws_administers_and_wastes_with_a_witness_to_a_closed_draw() -> None:
    state = replay(
        [
            DrawForSession("d1", "vial-1", D("50"), date(2026, 11, 23), by=NURSE),
            Administer("d1", D("35.2"), by=NURSE),
            Waste("d1", D("14.8"), by=NURSE, witnesses=(WITNESS,)),
        ],
        stocked(),
    )
    assert state.containers["vial-1"].on_hand_mg == D("450")
    assert state.draws["d1"].closed and state.draws["d1"].accounted_mg == D(50)


def test_it_refuses_to_overdraw_and_leaves_the_state_as_it_was() -> None:
    state = stocked()
    with pytest.raises(LedgerError) as refused:
        apply(state, DrawForSession("d1", "vial-1", D("500.1"), date(2026, 11, 23), by=NURSE))
    assert "more than the 500 mg on hand" in refused.value.fields["amount_mg"]
    assert state.containers["vial-1"].on_hand_mg == D(500) and not state.draws


def test_it_never_accounts_for_more_than_was_drawn() -> None:
    state = apply(stocked(), DrawForSession("d1", "vial-1", D(50), date(2026, 11, 23), by=NURSE))
    state = apply(state, Administer("d1", D(40), by=NURSE))
    with pytest.raises(LedgerError, match="not yet accounted for"):
        apply(state, Return("d1", D("10.5"), by=NURSE))
    returned = apply(state, Return("d1", D(10), by=NURSE))
    assert returned.containers["vial-1"].on_hand_mg == D(460) and returned.draws["d1"].closed


@pytest.mark.parametrize(
    ("witnesses", "message"),
    [
        ((), "needs 1 witness"),
        ((NURSE,), "someone other than who acts"),
        ((OUTSIDER,), "authorised staff"),
    ],
)
def test_it_needs_a_different_authorised_witness_to_waste(
    witnesses: tuple[int, ...], message: str
) -> None:
    state = apply(stocked(), DrawForSession("d1", "vial-1", D(50), date(2026, 11, 23), by=NURSE))
    with pytest.raises(LedgerError, match=message):
        apply(state, Waste("d1", D(5), by=NURSE, witnesses=witnesses))


def test_it_counts_waste_witnesses_from_the_clinic_setting_and_two_for_destruction() -> None:
    state = stocked(waste_witnesses=2)
    state = apply(state, DrawForSession("d1", "vial-1", D(50), date(2026, 11, 23), by=NURSE))
    with pytest.raises(LedgerError, match="needs 2 witnesses"):
        apply(state, Waste("d1", D(5), by=NURSE, witnesses=(WITNESS,)))
    with pytest.raises(LedgerError, match="needs 2 witnesses"):
        apply(state, Destroy("vial-1", D(100), by=NURSE, witnesses=(WITNESS,)))
    destroyed = apply(state, Destroy("vial-1", D(100), by=NURSE, witnesses=(WITNESS, SECOND)))
    assert destroyed.containers["vial-1"].on_hand_mg == D(350)


def test_it_refuses_to_draw_from_an_expired_lot() -> None:
    with pytest.raises(LedgerError, match="LOT42 expired on 2027-06-30"):
        apply(stocked(), DrawForSession("d1", "vial-1", D(10), date(2027, 7, 1), by=NURSE))


def test_it_refuses_floats_and_unexplained_count_adjustments() -> None:
    with pytest.raises(LedgerError, match="exact decimal"):
        apply(stocked(), Loss("vial-1", 0.5, date(2026, 11, 23), by=NURSE))  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="explain the difference"):
        apply(stocked(), Adjust("vial-1", D(490), "short", by=NURSE))
    counted = apply(stocked(), Adjust("vial-1", D(490), "Meniscus read low at receipt.", by=NURSE))
    assert counted.containers["vial-1"].on_hand_mg == D(490)


def test_it_moves_a_container_between_safes() -> None:
    moved = apply(stocked(), Transfer("vial-1", "safe B", by=NURSE))
    assert moved.containers["vial-1"].location == "safe B"


def test_it_dates_the_loss_notice_and_form_106() -> None:
    friday = date(2026, 11, 27)
    found = loss_deadlines(friday)
    assert found.notice_due == date(2026, 11, 30)  # the next business day, a Monday
    assert found.form_106_due == date(2027, 1, 11)  # 45 days
    assert add_business_days(friday, 1, holidays={date(2026, 11, 30)}) == date(2026, 12, 1)


# ---- properties -----------------------------------------------------------------

CONTAINERS = ["c1", "c2", "c3"]
DRAWS = ["d1", "d2", "d3", "d4"]
amounts = st.decimals("0", "300", places=1)
people = st.sampled_from([NURSE, WITNESS, SECOND, OUTSIDER])
days = st.dates(date(2026, 1, 1), date(2028, 1, 1))

operations = st.one_of(
    st.builds(
        Receive,
        st.sampled_from(CONTAINERS),
        st.just("L1"),
        days,
        st.just("safe A"),
        amounts,
        by=people,
    ),
    st.builds(Transfer, st.sampled_from(CONTAINERS), st.just("safe B"), by=people),
    st.builds(
        DrawForSession,
        st.sampled_from(DRAWS),
        st.sampled_from(CONTAINERS),
        amounts,
        days,
        by=people,
    ),
    st.builds(Administer, st.sampled_from(DRAWS), amounts, by=people),
    st.builds(
        Waste,
        st.sampled_from(DRAWS),
        amounts,
        by=people,
        witnesses=st.lists(people, max_size=2).map(tuple),
    ),
    st.builds(Return, st.sampled_from(DRAWS), amounts, by=people),
    st.builds(
        Destroy,
        st.sampled_from(CONTAINERS),
        amounts,
        by=people,
        witnesses=st.lists(people, max_size=3).map(tuple),
    ),
    st.builds(Loss, st.sampled_from(CONTAINERS), amounts, days, by=people),
    st.builds(
        Adjust,
        st.sampled_from(CONTAINERS),
        amounts,
        st.sampled_from(["short", "Recount after a spill at the cart."]),
        by=people,
    ),
    st.builds(
        Reverse,
        st.sampled_from(DRAWS),
        st.sampled_from(["administered_mg", "wasted_mg", "returned_mg"]),
        amounts,
        st.sampled_from(["typo", "Keyed 35 mg; the pump shows 30 mg."]),
        by=people,
    ),
)


def _recompute(accepted: list[Operation]) -> dict[str, Decimal]:
    """On hand per container, summed from the accepted movements independently."""
    on_hand: dict[str, Decimal] = {}
    source: dict[str, str] = {}
    for op in accepted:
        if isinstance(op, Receive):
            on_hand[op.container_id] = op.amount_mg
        elif isinstance(op, DrawForSession):
            on_hand[op.container_id] -= op.amount_mg
            source[op.draw_id] = op.container_id
        elif isinstance(op, Return):
            on_hand[source[op.draw_id]] += op.amount_mg
        elif isinstance(op, Destroy | Loss):
            on_hand[op.container_id] -= op.amount_mg
        elif isinstance(op, Adjust):
            on_hand[op.container_id] = op.counted_mg
        elif isinstance(op, Reverse) and op.part == "returned_mg":
            on_hand[source[op.draw_id]] -= op.amount_mg
    return on_hand


@settings(max_examples=2000, deadline=None)
@given(st.lists(operations, max_size=40))
def test_it_never_goes_negative_and_agrees_with_a_recomputation(ops: list[Operation]) -> None:
    state = START
    accepted: list[Operation] = []
    for op in ops:
        try:
            after = apply(state, op)
        except LedgerError:
            continue
        state = after
        accepted.append(op)
        assert all(c.on_hand_mg >= 0 for c in state.containers.values())
        assert all(0 <= d.accounted_mg <= d.drawn_mg for d in state.draws.values())
        assert all(
            min(d.administered_mg, d.wasted_mg, d.returned_mg) >= 0 for d in state.draws.values()
        )
    assert {k: c.on_hand_mg for k, c in state.containers.items()} == _recompute(accepted)
    assert replay(accepted, START) == state


def test_it_reverses_an_amount_recorded_in_error_with_a_reason() -> None:
    state = replay(
        [
            Receive("c1", "L1", date(2027, 6, 30), "safe A", Decimal(500), NURSE),
            DrawForSession("d1", "c1", Decimal(35), date(2026, 11, 23), NURSE),
            Administer("d1", Decimal(35), NURSE),
        ],
        START,
    )
    with pytest.raises(LedgerError, match="explain the correction"):
        apply(state, Reverse("d1", "administered_mg", Decimal(5), "typo", NURSE))
    with pytest.raises(LedgerError, match="only 35 mg is recorded as administered"):
        apply(state, Reverse("d1", "administered_mg", Decimal(40), "Pump shows less.", NURSE))
    fixed = apply(state, Reverse("d1", "administered_mg", Decimal(5), "Pump shows 30 mg.", NURSE))
    assert fixed.draws["d1"].open_mg == Decimal(5)
    fixed = apply(fixed, Waste("d1", Decimal(5), NURSE, (WITNESS,)))
    assert fixed.draws["d1"].closed
