"""Pure hash-chain arithmetic for audit events (no database here).

Each event's hash covers its content and the previous event's hash in the same
chain (one chain per clinic, chain 0 for events outside any clinic), so changing
or removing a row breaks every later link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ketaclinic.kit.hashchain import GENESIS_HASH, link_hash

__all__ = ["GENESIS_HASH", "HASHED_FIELDS", "ChainProblem", "event_hash", "verify_chain"]

# The fields a hash covers, in order. Adding a field here changes every hash: add a
# new chain version instead.
HASHED_FIELDS = (
    "chain_key",
    "seq",
    "occurred_at",
    "clinic_id",
    "user_id",
    "actor",
    "action",
    "resource_type",
    "resource_id",
    "patient_id",
    "outcome",
    "ip",
    "user_agent",
    "channel",
    "request_id",
    "detail",
)


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    return link_hash(fields, HASHED_FIELDS, prev_hash)


@dataclass(frozen=True)
class ChainProblem:
    chain_key: int
    seq: int
    event_id: int | None
    reason: str


def verify_chain(
    chain_key: int,
    events: Iterable[tuple[int, Mapping[str, Any], str, str]],
    head: tuple[int, str] | None,
) -> ChainProblem | None:
    """Walk (id, fields, prev_hash, hash) in seq order; return the first problem.

    ``head`` is the (last_seq, last_hash) the chain-head row promises; it catches the
    removal of the newest events, which leaves no gap behind.
    """
    expected_seq, prev = 1, GENESIS_HASH
    for event_id, fields, stored_prev, stored_hash in events:
        seq = int(fields["seq"])
        if seq != expected_seq:
            return ChainProblem(
                chain_key, expected_seq, None, f"event {expected_seq} is missing (deleted?)"
            )
        if stored_prev != prev:
            return ChainProblem(chain_key, seq, event_id, "link to the previous event is broken")
        if event_hash(fields, stored_prev) != stored_hash:
            return ChainProblem(
                chain_key, seq, event_id, "content does not match its hash (modified?)"
            )
        prev, expected_seq = stored_hash, seq + 1
    last_seq = expected_seq - 1
    if head is not None and (head[0] != last_seq or head[1] != prev):
        return ChainProblem(
            chain_key,
            last_seq + 1,
            None,
            f"chain head says {head[0]} events but {last_seq} remain (newest deleted?)",
        )
    return None
