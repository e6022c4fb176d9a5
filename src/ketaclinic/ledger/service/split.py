"""One dose drawn from two containers (issue 19): two draws, one transaction.

Both containers are locked first (their safe, then the containers by id: the order
every writer keeps, so two nurses reaching for the same vials wait rather than
deadlock), the pure core says how much comes from each on the balances read under the
lock (``clinical.controlled.split_dose``), then each share is its own draw entry with
the same witnesses, linked to the same session. A refusal anywhere writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from ketaclinic.clinical.controlled import LedgerError, Source, split_dose, to_mg
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.ledger import errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import CsContainer, CsEntry, CsProduct
from ketaclinic.ledger.schemas import DrawIn
from ketaclinic.ledger.service.movements import draw
from ketaclinic.ledger.service.write import _clinic_ids, _lock_location, _refused
from ketaclinic.ledger.witnesses import Witness

FIELDS = ("container_id", "second_container_id")


def _per_ml(product: CsProduct) -> Decimal | None:
    if not product.container_ul:
        return None
    return Decimal(product.container_ug) / Decimal(product.container_ul)


def _sources(
    db: Session, clinic_ids: Sequence[int], container_ids: tuple[int, int]
) -> tuple[Source, Source]:
    """The two containers, locked, as the pure core sees them."""
    rows = []
    for container_id, name in zip(container_ids, FIELDS, strict=True):
        found = repo.stock_row(db, clinic_ids, container_id)
        if found is None:
            raise errors.ContainerUnknown(field=name)
        rows.append(found)
    for location_id in sorted({row[0].location_id for row in rows}):
        _lock_location(db, [row[0].clinic_id for row in rows], location_id)
    locked: dict[int, CsContainer] = {}
    for container_id in sorted(set(container_ids)):
        fresh = repo.container(db, [r[0].clinic_id for r in rows], container_id, lock=True)
        assert fresh is not None  # containers are never deleted
        locked[container_id] = fresh
    sources: list[Source] = []
    for container_id, (container, lot, product, _location) in zip(container_ids, rows, strict=True):
        fresh = locked[container_id]
        if fresh.location_id != container.location_id:
            raise errors.ContainerMoved(fields={FIELDS[len(sources)]: "moved just now"})
        sources.append(
            Source(
                str(fresh.id),
                lot.lot_number,
                product.drug,
                _per_ml(product),
                f"{fresh.clinic_id}:{fresh.location_id}",
                to_mg(fresh.on_hand_ug),
            )
        )
    return sources[0], sources[1]


def draw_split(
    db: Session,
    principal: Principal,
    container_ids: tuple[int, int],
    patient_id: int,
    dose_mg: Decimal,
    *,
    session_id: int | None,
    witnesses: Sequence[Witness],
    amounts: tuple[Decimal, Decimal] | None = None,
) -> tuple[CsEntry, CsEntry]:
    """``dose_mg`` for a patient's session from two containers of the same product,
    strength and safe: the first's balance then the rest from the second, or
    ``amounts`` (which add up to the dose exactly). Two draw entries, or none."""
    clinic_ids = _clinic_ids(principal, Permission.LEDGER_ADMINISTER)
    first, second = _sources(db, clinic_ids, container_ids)
    try:
        shares = split_dose(dose_mg, first, second, amounts)
    except LedgerError as exc:
        raise _refused(exc) from exc
    entries = []
    for container_id, amount, name in zip(container_ids, shares, FIELDS, strict=True):
        data = DrawIn(
            container_id=container_id,
            patient_id=patient_id,
            amount_mg=amount,
            session_id=session_id,
        )
        try:
            entries.append(draw(db, principal, data, witnesses=witnesses))
        except errors.LedgerRuleRefused as exc:
            # The pure core's refusal names the draw's amount: say which container.
            raise errors.LedgerRuleRefused(exc.message, {name: exc.message}) from exc
    return entries[0], entries[1]
