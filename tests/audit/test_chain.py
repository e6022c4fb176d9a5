"""The pure hash-chain arithmetic: any change, removal or reordering is found."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.audit.chain import GENESIS_HASH, HASHED_FIELDS, event_hash, verify_chain


def _chain(count: int) -> list[tuple[int, dict[str, Any], str, str]]:
    events, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        fields = {name: "" for name in HASHED_FIELDS}
        fields.update(chain_key=1, seq=seq, action="patient.read", actor=f"user{seq}")
        digest = event_hash(fields, prev)
        events.append((seq, fields, prev, digest))
        prev = digest
    return events


def _head(events: list[tuple[int, dict[str, Any], str, str]]) -> tuple[int, str]:
    return (len(events), events[-1][3] if events else GENESIS_HASH)


def test_it_accepts_an_intact_chain_and_an_empty_one() -> None:
    events = _chain(5)
    assert verify_chain(1, events, _head(events)) is None
    assert verify_chain(1, [], None) is None


@given(st.integers(min_value=2, max_value=12), st.data())
def test_it_finds_a_modified_field_at_its_own_seq(count: int, data: st.DataObject) -> None:
    events = _chain(count)
    index = data.draw(st.integers(min_value=0, max_value=count - 1))
    name = data.draw(st.sampled_from(["actor", "action", "ip", "detail", "resource_id"]))
    event_id, fields, prev, digest = events[index]
    events[index] = (event_id, {**fields, name: "tampered"}, prev, digest)
    problem = verify_chain(1, events, _head(events))
    assert problem is not None and problem.seq == index + 1
    assert "modified" in problem.reason


@given(st.integers(min_value=3, max_value=12), st.data())
def test_it_finds_a_deleted_event(count: int, data: st.DataObject) -> None:
    events = _chain(count)
    index = data.draw(st.integers(min_value=0, max_value=count - 2))
    head = _head(events)
    del events[index]
    problem = verify_chain(1, events, head)
    assert problem is not None and problem.seq == index + 1
    assert "missing" in problem.reason


def test_it_finds_the_newest_events_deleted_by_the_head() -> None:
    events = _chain(4)
    head = _head(events)
    problem = verify_chain(1, events[:-1], head)
    assert problem is not None and "newest deleted" in problem.reason


def test_it_finds_a_rehashed_event_by_the_next_link() -> None:
    """Recomputing a tampered event's own hash still breaks its successor's link."""
    events = _chain(4)
    event_id, fields, prev, _ = events[1]
    forged = {**fields, "actor": "someone else"}
    events[1] = (event_id, forged, prev, event_hash(forged, prev))
    problem = verify_chain(1, events, _head(events))
    assert problem is not None and problem.seq == 3 and "link" in problem.reason
