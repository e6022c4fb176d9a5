"""Where a released dose comes from, and where it goes at the end.

The containers offered are named by lot, size and what each holds. A dose is drawn
from one container that holds it, or from two of the same product and strength in the
same safe when none does (or the nurse chooses: finishing an opened vial): the first
gives its balance and the second the rest, or the amounts the nurse entered, which add
up to the dose exactly (issue 19). Each is its own ledger draw for the session. At the
end, what was given comes out of the first draw and then the second, and whatever is
left in either is wasted from that draw before a witness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from ketaclinic.chairside.errors import (
    ContainerNotAvailable,
    ContainerTooLow,
    DrawnRequired,
    DrawnWithSecondContainer,
    GivenAboveDrawn,
    SplitAmountsIncomplete,
    SplitAmountsWithoutSecond,
    WasteWitnessRequired,
)
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.chairside.schemas import ReleaseIn
from ketaclinic.chairside.service.chart import Chart
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.time import to_local
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.models import CsContainer, CsEntry, CsLocation, CsLot, CsProduct
from ketaclinic.ledger.schemas import DrawIn
from ketaclinic.ledger.witnesses import Witness


@dataclass(frozen=True)
class ContainerChoice:
    """A container a dose may be drawn from, in the words on its label."""

    id: int
    lot: str
    on_hand_mg: Decimal
    label: str  # "Lot K2301, 500 mg/10 mL vial, 320 mg left"


def _mg(ug: int) -> Decimal:
    return (Decimal(ug) / 1000).normalize()


def _kind(form: str, name: str) -> str:
    words = f"{form} {name}".lower()
    for kind in ("vial", "dose kit", "bag", "syringe", "ampoule"):
        if kind in words:
            return kind
    return "container"


def _choice(row: tuple[CsContainer, CsLot, CsProduct, CsLocation]) -> ContainerChoice:
    container, lot, product, _location = row
    size = f"{_mg(product.container_ug):f} mg"
    if product.container_ul:
        size += f"/{_mg(product.container_ul):f} mL"
    left = _mg(container.on_hand_ug)
    label = f"Lot {lot.lot_number}, {size} {_kind(product.form, product.name)}, {left:f} mg left"
    return ContainerChoice(container.id, lot.lot_number, left, label)


def _today(c: Chart) -> date:
    return to_local(c.now, c.clinic.timezone).date()


def drawable(db: Session, c: Chart) -> list[ContainerChoice]:
    """Every container of the protocol's drug in this clinic's stock, in date, the one
    with least left first: an opened container is finished before a sealed one."""
    rows = ledger.drawable(db, [c.session.clinic_id], _today(c), drug=c.protocol.drug)
    return sorted((_choice(row) for row in rows), key=lambda x: (x.on_hand_mg, x.lot))


def containers_for(db: Session, c: Chart, dose_mg: Decimal) -> list[ContainerChoice]:
    """The containers that hold the whole dose, least left first."""
    return [x for x in drawable(db, c) if x.on_hand_mg >= dose_mg]


def check_release(db: Session, c: Chart, data: ReleaseIn) -> None:
    """Refuse, naming the field (and the lot), a release that cannot be drawn as asked,
    before anything is written."""
    two = data.second_container_id is not None
    entered = (data.first_mg is not None, data.second_mg is not None)
    if two and data.drawn_mg is not None:
        raise DrawnWithSecondContainer()
    if not two and any(entered):
        raise SplitAmountsWithoutSecond()
    if two and entered[0] != entered[1]:
        raise SplitAmountsIncomplete(field="first_mg" if entered[1] else "second_mg")
    if not two and data.drawn_mg is None:
        raise DrawnRequired()
    found = {x.id: x for x in drawable(db, c)}
    for container_id, name in (
        (data.container_id, "container_id"),
        (data.second_container_id, "second_container_id"),
    ):
        if container_id is not None and container_id not in found:
            raise ContainerNotAvailable(
                f"choose a container of {c.protocol.drug} from this clinic's stock, in date",
                field=name,
            )
    first = found[data.container_id]
    if data.drawn_mg is not None and first.on_hand_mg < data.drawn_mg:
        raise ContainerTooLow(
            f"lot {first.lot} has {first.on_hand_mg:f} mg left, less than the "
            f"{data.drawn_mg:f} mg drawn up: choose another container, or draw from two",
        )


def draw_release(
    db: Session,
    principal: Principal,
    c: Chart,
    data: ReleaseIn,
    dose_mg: Decimal,
    treatment_id: int,
    witnesses: Sequence[Witness],
) -> tuple[CsEntry, CsEntry | None, Decimal]:
    """The draw (or the two) for the released dose: the entries and the mg drawn."""
    if data.second_container_id is None:
        assert data.drawn_mg is not None  # check_release
        one = DrawIn(
            container_id=data.container_id,
            patient_id=c.patient.id,
            amount_mg=data.drawn_mg,
            session_id=treatment_id,
        )
        return ledger.draw(db, principal, one), None, data.drawn_mg
    amounts = None
    if data.first_mg is not None and data.second_mg is not None:
        amounts = (data.first_mg, data.second_mg)
    first, second = ledger.draw_split(
        db,
        principal,
        (data.container_id, data.second_container_id),
        c.patient.id,
        dose_mg,
        session_id=treatment_id,
        witnesses=witnesses,
        amounts=amounts,
    )
    return first, second, dose_mg


def draw_ids(s: ChairsideSession) -> list[int]:
    return [d for d in (s.draw_entry_id, s.second_draw_entry_id) if d is not None]


def _open(db: Session, principal: Principal, s: ChairsideSession) -> list[tuple[int, Decimal]]:
    found = []
    for draw_id in draw_ids(s):
        state = ledger.draw_state(db, principal, ledger.get_draw(db, principal, draw_id))
        found.append((draw_id, state.open_mg))
    return found


def open_mg(db: Session, principal: Principal, s: ChairsideSession) -> Decimal:
    """What is drawn for the session and not yet given or wasted, over its draws."""
    return sum((mg for _id, mg in _open(db, principal, s)), Decimal(0))


def account_for_draws(
    db: Session,
    principal: Principal,
    s: ChairsideSession,
    given: Decimal,
    witnesses: Sequence[Witness],
    policy: ledger.LedgerPolicy,
) -> Decimal:
    """What was given is administered, out of the first draw and then the second; what
    is left in each is wasted from that draw before a witness. The mg wasted."""
    draws = _open(db, principal, s)
    remaining = sum((mg for _id, mg in draws), Decimal(0))
    if given > remaining:
        raise GivenAboveDrawn(f"more than the {remaining} mg drawn and not yet accounted for")
    left = remaining - given
    if left > 0 and not witnesses:
        raise WasteWitnessRequired(f"{left} mg is left to waste: a witness must confirm")
    to_give = given
    for draw_id, open_now in draws:
        part = min(to_give, open_now)
        if part > 0:
            ledger.administer(db, principal, draw_id, part)
        to_give -= part
        if open_now - part > 0:
            ledger.waste(db, principal, draw_id, open_now - part, witnesses, policy)
    return left
