"""Ledger use cases: receive, move, draw, administer, waste, return, correct,
destroy, record a loss. Never commits; audits every write.

Every write follows one path (``_Write``): lock the location row (the head of
its hash chain; on PostgreSQL ``FOR UPDATE``, on SQLite the write transaction
is already serialised by ``BEGIN IMMEDIATE``), lock the container, build the pure
core's state for what the operation touches, ``apply`` the operation (a refusal
raises before anything is written), then append the entry to the chain and move
the container's balance, in the same transaction.
"""

from __future__ import annotations

from ketaclinic.kit.time import recorded_at  # historical stamping, re-exported
from ketaclinic.ledger.service.losses import (
    LossView,
    destroy,
    losses,
    record_filing,
    record_loss,
)
from ketaclinic.ledger.service.movements import (
    administer,
    draw,
    draw_state,
    get_draw,
    receive,
    return_to_stock,
    reverse,
    transfer,
    waste,
)
from ketaclinic.ledger.service.setup import (
    add_location,
    add_product,
)
from ketaclinic.ledger.service.split import draw_split
from ketaclinic.ledger.service.write import (
    HASHED_FIELDS,
    PARTS,
    LedgerPolicy,
    as_ug,
    detail_of,
    drawable,
    draws_of,
    entries_by_id,
    entry_fields,
    locked_container,
    lot_numbers,
    now,
    open_draws,
    people_of,
    witness_ids_of,
)

__all__ = [
    "HASHED_FIELDS",
    "PARTS",
    "LedgerPolicy",
    "LossView",
    "add_location",
    "add_product",
    "administer",
    "as_ug",
    "destroy",
    "detail_of",
    "draw",
    "draw_split",
    "draw_state",
    "drawable",
    "draws_of",
    "entries_by_id",
    "entry_fields",
    "get_draw",
    "locked_container",
    "losses",
    "lot_numbers",
    "now",
    "open_draws",
    "people_of",
    "receive",
    "record_filing",
    "record_loss",
    "recorded_at",
    "return_to_stock",
    "reverse",
    "transfer",
    "waste",
    "witness_ids_of",
]
