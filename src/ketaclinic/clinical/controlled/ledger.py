"""The Schedule III ledger's rules, as a pure state machine over exact amounts.

Every stock movement is an operation applied to a ``Ledger`` state; an operation
that would break an invariant raises ``LedgerError`` naming the field, and the
state is left as it was (operations return a new state). The database layer
(issue 8) stores each accepted operation as an append-only, hash-chained entry
and replays them with ``replay`` to verify balances.

Invariants (docs/clinical-references.md#controlled-substances; issue 8):

- the amount on hand in a container never goes negative;
- a draw for a session is accounted for: administered + wasted + returned never
  exceeds what was drawn, and a draw is closed when they equal it;
- a witness is a different person from whoever acts, and authorised;
- waste needs the clinic's number of witnesses (default 1, practice), destruction
  two (DEA Form 41);
- an expired lot cannot be drawn.

Amounts are ``Decimal`` mg, never floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

# source: docs/clinical-references.md#controlled-substances - waste witnesses are state or clinic
# policy (practice): a setting; destruction needs two employee witnesses (Form 41).
DEFAULT_WASTE_WITNESSES = 1
DESTRUCTION_WITNESSES = 2


class LedgerError(ValueError):
    """An operation refused; ``field`` names what to correct."""

    code = "ledger_refused"
    status_code = 422

    def __init__(self, field_name: str, message: str) -> None:
        self.field = field_name
        self.fields = {field_name: message}
        super().__init__(f"{field_name}: {message}")


@dataclass(frozen=True)
class Container:
    container_id: str
    lot: str
    expires: date
    location: str
    on_hand_mg: Decimal


@dataclass(frozen=True)
class Draw:
    draw_id: str
    container_id: str
    drawn_mg: Decimal
    administered_mg: Decimal = Decimal(0)
    wasted_mg: Decimal = Decimal(0)
    returned_mg: Decimal = Decimal(0)

    @property
    def accounted_mg(self) -> Decimal:
        return self.administered_mg + self.wasted_mg + self.returned_mg

    @property
    def open_mg(self) -> Decimal:
        return self.drawn_mg - self.accounted_mg

    @property
    def closed(self) -> bool:
        return self.open_mg == 0


@dataclass(frozen=True)
class Ledger:
    containers: Mapping[str, Container] = field(default_factory=lambda: MappingProxyType({}))
    draws: Mapping[str, Draw] = field(default_factory=lambda: MappingProxyType({}))
    # Who may witness (the clinic's authorised staff ids).
    authorised: frozenset[int] = frozenset()
    waste_witnesses: int = DEFAULT_WASTE_WITNESSES


# ---- operations ---------------------------------------------------------------


@dataclass(frozen=True)
class Receive:
    container_id: str
    lot: str
    expires: date
    location: str
    amount_mg: Decimal
    by: int
    kind: Literal["receive"] = "receive"


@dataclass(frozen=True)
class Transfer:
    container_id: str
    to_location: str
    by: int
    kind: Literal["transfer"] = "transfer"


@dataclass(frozen=True)
class DrawForSession:
    draw_id: str
    container_id: str
    amount_mg: Decimal
    on: date
    by: int
    kind: Literal["draw"] = "draw"


@dataclass(frozen=True)
class Administer:
    draw_id: str
    amount_mg: Decimal
    by: int
    kind: Literal["administer"] = "administer"


@dataclass(frozen=True)
class Waste:
    draw_id: str
    amount_mg: Decimal
    by: int
    witnesses: tuple[int, ...]
    kind: Literal["waste"] = "waste"


@dataclass(frozen=True)
class Return:
    draw_id: str
    amount_mg: Decimal
    by: int
    kind: Literal["return"] = "return"


@dataclass(frozen=True)
class Destroy:
    container_id: str
    amount_mg: Decimal
    by: int
    witnesses: tuple[int, ...]
    kind: Literal["destroy"] = "destroy"


@dataclass(frozen=True)
class Loss:
    container_id: str
    amount_mg: Decimal
    discovered: date
    by: int
    kind: Literal["loss"] = "loss"


@dataclass(frozen=True)
class Adjust:
    """A count found a different amount: the ledger follows the count, with a reason."""

    container_id: str
    counted_mg: Decimal
    reason: str
    by: int
    kind: Literal["adjust"] = "adjust"


@dataclass(frozen=True)
class Reverse:
    """A correction: an administered, wasted or returned amount recorded in error is
    taken back into the draw (a returned amount comes back out of the container), so
    it can be recorded again correctly. The wrong entry itself stays on record."""

    draw_id: str
    part: Literal["administered_mg", "wasted_mg", "returned_mg"]
    amount_mg: Decimal
    reason: str
    by: int
    kind: Literal["reverse"] = "reverse"


Operation = (
    Receive
    | Transfer
    | DrawForSession
    | Administer
    | Waste
    | Return
    | Destroy
    | Loss
    | Adjust
    | Reverse
)


def _amount(value: Decimal, name: str = "amount_mg", *, zero_ok: bool = False) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise LedgerError(name, "must be an exact decimal amount in mg")
    if value < 0 or (value == 0 and not zero_ok):
        raise LedgerError(name, "must be above 0 mg" if not zero_ok else "must not be negative")
    return value


def _container(state: Ledger, container_id: str) -> Container:
    found = state.containers.get(container_id)
    if found is None:
        raise LedgerError("container_id", f"no container {container_id!r} in the ledger")
    return found


def _draw(state: Ledger, draw_id: str) -> Draw:
    found = state.draws.get(draw_id)
    if found is None:
        raise LedgerError("draw_id", f"no draw {draw_id!r}")
    return found


def _witnesses(state: Ledger, by: int, witnesses: Iterable[int], needed: int) -> None:
    distinct = set(witnesses)
    if by in distinct:
        raise LedgerError("witnesses", "a witness must be someone other than who acts")
    unknown = distinct - state.authorised
    if unknown:
        raise LedgerError("witnesses", "every witness must be authorised staff")
    if len(distinct) < needed:
        raise LedgerError("witnesses", f"needs {needed} witness{'es' if needed > 1 else ''}")


def _with_container(state: Ledger, container: Container) -> Ledger:
    return replace(
        state,
        containers=MappingProxyType({**state.containers, container.container_id: container}),
    )


def _with_draw(state: Ledger, draw: Draw) -> Ledger:
    return replace(state, draws=MappingProxyType({**state.draws, draw.draw_id: draw}))


def _take(container: Container, amount: Decimal) -> Container:
    if amount > container.on_hand_mg:
        raise LedgerError(
            "amount_mg",
            f"{amount} mg is more than the {container.on_hand_mg} mg on hand in "
            f"{container.container_id}",
        )
    return replace(container, on_hand_mg=container.on_hand_mg - amount)


def _account(
    state: Ledger,
    draw_id: str,
    amount: Decimal,
    part: Literal["administered_mg", "wasted_mg", "returned_mg"],
) -> Ledger:
    draw = _draw(state, draw_id)
    if amount > draw.open_mg:
        raise LedgerError(
            "amount_mg",
            f"{amount} mg is more than the {draw.open_mg} mg of draw {draw_id} not yet "
            "accounted for",
        )
    if part == "administered_mg":
        updated = replace(draw, administered_mg=draw.administered_mg + amount)
    elif part == "wasted_mg":
        updated = replace(draw, wasted_mg=draw.wasted_mg + amount)
    else:
        updated = replace(draw, returned_mg=draw.returned_mg + amount)
    return _with_draw(state, updated)


def apply(state: Ledger, op: Operation) -> Ledger:
    """The state after ``op``; ``LedgerError`` (and the state unchanged) if refused."""
    if isinstance(op, Receive):
        if op.container_id in state.containers:
            raise LedgerError("container_id", f"container {op.container_id!r} already exists")
        return _with_container(
            state,
            Container(op.container_id, op.lot, op.expires, op.location, _amount(op.amount_mg)),
        )
    if isinstance(op, Transfer):
        container = _container(state, op.container_id)
        return _with_container(state, replace(container, location=op.to_location))
    if isinstance(op, DrawForSession):
        container = _container(state, op.container_id)
        if op.draw_id in state.draws:
            raise LedgerError("draw_id", f"draw {op.draw_id!r} already exists")
        if op.on > container.expires:
            raise LedgerError("container_id", f"lot {container.lot} expired on {container.expires}")
        taken = _take(container, _amount(op.amount_mg))
        state = _with_container(state, taken)
        return _with_draw(state, Draw(op.draw_id, op.container_id, op.amount_mg))
    if isinstance(op, Administer):
        return _account(state, op.draw_id, _amount(op.amount_mg), "administered_mg")
    if isinstance(op, Waste):
        _witnesses(state, op.by, op.witnesses, state.waste_witnesses)
        return _account(state, op.draw_id, _amount(op.amount_mg), "wasted_mg")
    if isinstance(op, Return):
        amount = _amount(op.amount_mg)
        state = _account(state, op.draw_id, amount, "returned_mg")
        container = _container(state, state.draws[op.draw_id].container_id)
        return _with_container(state, replace(container, on_hand_mg=container.on_hand_mg + amount))
    if isinstance(op, Destroy):
        _witnesses(state, op.by, op.witnesses, DESTRUCTION_WITNESSES)
        container = _container(state, op.container_id)
        return _with_container(state, _take(container, _amount(op.amount_mg)))
    if isinstance(op, Loss):
        container = _container(state, op.container_id)
        return _with_container(state, _take(container, _amount(op.amount_mg)))
    if isinstance(op, Adjust):
        if len(op.reason.strip()) < 10:
            raise LedgerError("reason", "explain the difference (at least 10 characters)")
        container = _container(state, op.container_id)
        counted = _amount(op.counted_mg, "counted_mg", zero_ok=True)
        return _with_container(state, replace(container, on_hand_mg=counted))
    if isinstance(op, Reverse):
        return _reverse(state, op)
    raise LedgerError("kind", f"unknown operation {type(op).__name__}")


def _reverse(state: Ledger, op: Reverse) -> Ledger:
    if len(op.reason.strip()) < 10:
        raise LedgerError("reason", "explain the correction (at least 10 characters)")
    draw = _draw(state, op.draw_id)
    amount = _amount(op.amount_mg)
    recorded: Decimal = getattr(draw, op.part)
    if amount > recorded:
        raise LedgerError(
            "amount_mg", f"only {recorded} mg is recorded as {op.part.removesuffix('_mg')}"
        )
    if op.part == "returned_mg":
        container = _container(state, draw.container_id)
        state = _with_container(state, _take(container, amount))
    if op.part == "administered_mg":
        updated = replace(draw, administered_mg=draw.administered_mg - amount)
    elif op.part == "wasted_mg":
        updated = replace(draw, wasted_mg=draw.wasted_mg - amount)
    else:
        updated = replace(draw, returned_mg=draw.returned_mg - amount)
    return _with_draw(state, updated)


def replay(operations: Iterable[Operation], start: Ledger | None = None) -> Ledger:
    """Apply every operation in order; the first refusal raises."""
    state = start or Ledger()
    for op in operations:
        state = apply(state, op)
    return state
