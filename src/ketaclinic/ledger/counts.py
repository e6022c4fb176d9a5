"""Counts of a safe against the ledger, the discrepancy cases they open, and their
resolution with an explanation and a second person's signature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinical.controlled import Adjust, to_mg
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.ledger import errors as ledger_errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger import service
from ketaclinic.ledger.models import CsCount, CsCountLine, CsDiscrepancy, CsResolution
from ketaclinic.ledger.schemas import CountIn, ResolutionIn
from ketaclinic.ledger.witnesses import Witness


@dataclass(frozen=True)
class CountResult:
    count: CsCount
    lines: list[CsCountLine]
    discrepancies: list[CsDiscrepancy]


def record_count(db: Session, principal: Principal, data: CountIn) -> CountResult:
    """Every container on hand in the location, counted; each line that differs from
    the ledger opens a case. The location stays locked meanwhile, so no draw slips
    between what was expected and what was counted."""
    clinic_ids = principal.require_any(Permission.LEDGER_STOCK)
    location = repo.location(db, clinic_ids, data.location_id, lock=True)
    if location is None:
        raise ledger_errors.LocationUnknown()
    on_hand = {c.id: c for c, *_ in repo.stock(db, [location.clinic_id], location_id=location.id)}
    given = {line.container_id: line for line in data.lines}
    errors = {f"counted_{cid}": "count this container" for cid in on_hand if cid not in given}
    errors |= {f"counted_{cid}": "not in this location" for cid in given if cid not in on_hand}
    if errors:
        raise ledger_errors.CountIncomplete(fields=errors)
    count = CsCount(
        clinic_id=location.clinic_id,
        location_id=location.id,
        kind=data.kind,
        business=data.business,
        counted_by_id=principal.user_id,
        counted_at=service.now(),
        note=data.note,
    )
    db.add(count)
    db.flush()
    lines, cases = [], []
    for cid, container in on_hand.items():
        counted = service.as_ug(given[cid].counted_mg, f"counted_{cid}")
        line = CsCountLine(
            count_id=count.id,
            container_id=cid,
            expected_ug=container.on_hand_ug,
            counted_ug=counted,
            estimated=given[cid].estimated,
        )
        db.add(line)
        lines.append(line)
        if counted != container.on_hand_ug:
            case = CsDiscrepancy(
                clinic_id=location.clinic_id,
                count_id=count.id,
                container_id=cid,
                expected_ug=container.on_hand_ug,
                counted_ug=counted,
                opened_at=service.now(),
            )
            db.add(case)
            cases.append(case)
    db.flush()
    audit.record(
        db,
        principal,
        "ledger.count",
        clinic_id=location.clinic_id,
        resource_type="cs_count",
        resource_id=count.id,
        detail={
            "location": location.name,
            "kind": data.kind,
            "lines": len(lines),
            "discrepancies": [c.id for c in cases],
        },
    )
    return CountResult(count, lines, cases)


def resolve(
    db: Session,
    principal: Principal,
    discrepancy_id: int,
    data: ResolutionIn,
    second: Witness,
) -> CsResolution:
    """Close a case. When the count was right the ledger follows it, by the
    difference the count found (later movements stay); when the count was in error
    the ledger stands. Either way with an explanation and two signatures."""
    clinic_ids = principal.require_any(Permission.LEDGER_STOCK)
    found = repo.discrepancy(db, clinic_ids, discrepancy_id)
    if found is None:
        raise ledger_errors.DiscrepancyUnknown()
    case, resolution = found
    if resolution is not None:
        raise ledger_errors.DiscrepancyResolved(fields={"discrepancy_id": "resolved"})
    adjust_id = None
    if data.outcome == "ledger_follows_count":
        write = service.locked_container(db, principal, Permission.LEDGER_STOCK, case.container_id)
        delta = case.counted_ug - case.expected_ug
        target = write.container.on_hand_ug + delta
        if target < 0:
            raise ledger_errors.CountCannotBeFollowed()
        op = Adjust(str(write.container.id), to_mg(target), data.explanation, principal.user_id)
        after = write.apply(write.state(), op)
        entry = write.append(
            "adjust",
            after,
            amount_ug=abs(delta),
            reason=data.explanation,
            witnesses=[second],
            detail={
                "discrepancy_id": case.id,
                "count_id": case.count_id,
                "expected_ug": case.expected_ug,
                "counted_ug": case.counted_ug,
                "delta_ug": delta,
            },
        )
        adjust_id = entry.id
    row = CsResolution(
        discrepancy_id=case.id,
        outcome=data.outcome,
        explanation=data.explanation,
        resolved_by_id=principal.user_id,
        second_signer_id=second.user_id,
        adjust_entry_id=adjust_id,
        resolved_at=service.now(),
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        principal,
        "ledger.discrepancy_resolved",
        clinic_id=case.clinic_id,
        resource_type="cs_discrepancy",
        resource_id=case.id,
        detail={"outcome": data.outcome, "second_signer": second.name, "adjust_entry": adjust_id},
    )
    return row


def open_cases(
    db: Session, principal: Principal, clinic_ids: Sequence[int] | None = None
) -> list[CsDiscrepancy]:
    ids = clinic_ids or principal.require_any(Permission.LEDGER_READ)
    return [case for case, resolution in repo.discrepancies(db, ids) if resolution is None]
