"""JSON API for the controlled-substance ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from ketaclinic.auth.clinic import resolve_own_clinic
from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinical.controlled import to_mg
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.fields import Id, IsoDate, Record
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.time import today_in
from ketaclinic.kit.web import DbSession
from ketaclinic.ledger import counts, reports, service, verify
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.deps import download, policy_of, witnesses_for
from ketaclinic.ledger.errors import ContainerNotFound, DiscrepancyNotFound, DrawNotFound
from ketaclinic.ledger.models import CsEntry
from ketaclinic.ledger.schemas import (
    AmountIn,
    ContainerOut,
    CountIn,
    CountOut,
    DestroyIn,
    DiscrepancyOut,
    DrawIn,
    DrawOut,
    EntryKind,
    EntryOut,
    FilingIn,
    LocationIn,
    LossIn,
    ProductIn,
    ReceiptIn,
    ResolutionIn,
    ReverseIn,
    TransferIn,
    VerifyOut,
    WasteIn,
)

router = APIRouter(prefix="/api/v1/ledger", tags=["controlled-substance ledger"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Your role does not keep or give controlled substances"},
    404: {"description": "No such record in your clinics"},
    409: {"description": "Already resolved, or the container moved meanwhile"},
    422: {"description": "Refused by the ledger's rules; `error.fields` names the field"},
}


def clinic_of(
    db: Session, principal: Principal, permission: Permission, wanted: int | None
) -> Clinic:
    """The clinic a request is about (auth.clinic: asked for, or the caller's only one)."""
    return resolve_own_clinic(db, principal, permission, wanted)


def entries_out(
    db: Session, entries: Sequence[CsEntry], clinic_ids: Sequence[int]
) -> list[EntryOut]:
    labels = {c.id: c.label for c, *_ in repo.stock(db, clinic_ids, include_empty=True)}
    names = service.people_of(db, entries)
    return [
        EntryOut(
            id=e.id,
            location_id=e.location_id,
            seq=e.seq,
            occurred_at=e.occurred_at,
            kind=e.kind,
            container_id=e.container_id,
            container_label=labels[e.container_id],
            draw_entry_id=e.draw_entry_id,
            amount_mg=to_mg(e.amount_ug),
            balance_mg=to_mg(e.balance_ug),
            patient_id=e.patient_id,
            session_id=e.session_id,
            by=names[e.by_id],
            witnesses=[names[w] for w in service.witness_ids_of(e)],
            corrects_id=e.corrects_id,
            reason=e.reason,
            detail=service.detail_of(e),
            hash=e.hash,
        )
        for e in entries
    ]


def stock_out(db: Session, clinic_ids: Sequence[int], **filters: Any) -> list[ContainerOut]:
    return [
        ContainerOut(
            id=c.id,
            label=c.label,
            location_id=loc.id,
            location=loc.name,
            product=p.name,
            ndc=p.ndc,
            strength=p.strength,
            form=p.form,
            lot_number=lot.lot_number,
            expires=lot.expires,
            status=c.status,
            on_hand_mg=to_mg(c.on_hand_ug),
        )
        for c, lot, p, loc in repo.stock(db, clinic_ids, **filters)
    ]


def draw_out(db: Session, principal: Principal, draw: CsEntry) -> DrawOut:
    state = service.draw_state(db, principal, draw)
    clinic_ids = [draw.clinic_id]
    rows = [draw, *repo.draw_entries(db, clinic_ids, draw.id)]
    return DrawOut(
        id=draw.id,
        container_id=draw.container_id,
        patient_id=draw.patient_id,
        drawn_mg=state.drawn_mg,
        administered_mg=state.administered_mg,
        wasted_mg=state.wasted_mg,
        returned_mg=state.returned_mg,
        open_mg=state.open_mg,
        closed=state.closed,
        entries=entries_out(db, rows, clinic_ids),
    )


# ---- set-up -----------------------------------------------------------------------


@router.get("/products", response_model=Page[Record], responses=ERRORS)
def list_products(principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    return paging.of(
        {
            "id": p.id,
            "ndc": p.ndc,
            "drug": p.drug,
            "name": p.name,
            "strength": p.strength,
            "form": p.form,
            "container_mg": to_mg(p.container_ug),
        }
        for p in repo.products(db)
    )


@router.post("/products", status_code=201, responses=ERRORS)
def add_product(data: ProductIn, principal: CurrentPrincipal, db: DbSession) -> dict[str, Any]:
    product = service.add_product(db, principal, data)
    return {"id": product.id, "ndc": product.ndc}


@router.get("/locations", response_model=Page[Record], responses=ERRORS)
def list_locations(principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    clinic_ids = principal.require_any(Permission.LEDGER_READ)
    return paging.of(
        {
            "id": loc.id,
            "clinic_id": loc.clinic_id,
            "name": loc.name,
            "description": loc.description,
            "entries": loc.last_seq,
        }
        for loc in repo.locations(db, clinic_ids)
    )


@router.post("/locations", status_code=201, responses=ERRORS)
def add_location(
    data: LocationIn, principal: CurrentPrincipal, db: DbSession, clinic_id: Id | None = None
) -> dict[str, Any]:
    clinic = clinic_of(db, principal, Permission.LEDGER_STOCK, clinic_id)
    location = service.add_location(db, principal, clinic.id, data)
    return {"id": location.id, "name": location.name}


# ---- stock and entries ------------------------------------------------------------


@router.get("/stock", response_model=Page[ContainerOut], responses=ERRORS)
def list_stock(
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    location_id: Id | None = None,
    include_empty: bool = False,
) -> Any:
    clinic_ids = principal.require_any(Permission.LEDGER_READ)
    return paging.of(
        stock_out(db, clinic_ids, location_id=location_id, include_empty=include_empty)
    )


@router.get("/entries", response_model=Page[EntryOut], responses=ERRORS)
def list_entries(
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    location_id: Id | None = None,
    container_id: Id | None = None,
    kind: EntryKind | None = None,
) -> Any:
    """Newest first. Entries naming a patient carry only the patient's id."""
    clinic_ids = principal.require_any(Permission.LEDGER_READ)
    filters: dict[str, Any] = {
        "location_id": location_id,
        "container_id": container_id,
        "kinds": [kind] if kind else None,
    }
    rows = repo.entries(
        db,
        clinic_ids,
        newest_first=True,
        limit=paging.page_size,
        offset=paging.offset,
        **filters,
    )
    total = repo.count_entries(db, clinic_ids, **filters)
    return paging.envelope(entries_out(db, rows, clinic_ids), total)


@router.post("/receipts", response_model=list[EntryOut], status_code=201, responses=ERRORS)
def receive(data: ReceiptIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Containers arriving: one receipt entry each (supplier, address, DEA number,
    invoice; 21 CFR 1304.22)."""
    entries = service.receive(db, principal, data)
    return entries_out(db, entries, [entries[0].clinic_id])


def _container_clinic(db: Session, principal: Principal, container_id: Id) -> int:
    found = repo.container(db, principal.require_any(Permission.LEDGER_READ), container_id)
    if found is None:
        raise ContainerNotFound(f"No container {container_id} in your clinics.")
    return found.clinic_id


@router.post(
    "/containers/{container_id}/transfer",
    response_model=EntryOut,
    status_code=201,
    responses=ERRORS,
)
def transfer(container_id: Id, data: TransferIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    entry = service.transfer(db, principal, container_id, data.to_location_id)
    return entries_out(db, [entry], [entry.clinic_id])[0]


@router.post(
    "/containers/{container_id}/destruction",
    response_model=EntryOut,
    status_code=201,
    responses=ERRORS,
)
def destroy(
    request: Request,
    container_id: Id,
    data: DestroyIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> Any:
    """Destruction with two employee witnesses, each confirming with their own
    credentials (DEA Form 41)."""
    clinic_id = _container_clinic(db, principal, container_id)
    principal.require(Permission.LEDGER_STOCK, clinic_id)
    witnesses = witnesses_for(request, db, principal, clinic_id, data.witnesses)
    entry = service.destroy(db, principal, container_id, data, witnesses)
    return entries_out(db, [entry], [entry.clinic_id])[0]


@router.post(
    "/containers/{container_id}/loss", response_model=EntryOut, status_code=201, responses=ERRORS
)
def loss(container_id: Id, data: LossIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """A theft or loss; its notice and Form 106 deadlines start (see /losses)."""
    entry = service.record_loss(db, principal, container_id, data)
    return entries_out(db, [entry], [entry.clinic_id])[0]


# ---- draws ------------------------------------------------------------------------


@router.post("/draws", response_model=DrawOut, status_code=201, responses=ERRORS)
def draw(data: DrawIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Stock drawn for a patient's session; then account for every mg of it."""
    return draw_out(db, principal, service.draw(db, principal, data))


@router.get("/draws/{draw_id}", response_model=DrawOut, responses=ERRORS)
def get_draw(draw_id: Id, principal: CurrentPrincipal, db: DbSession) -> Any:
    return draw_out(db, principal, _draw(db, principal, draw_id))


def _draw(db: Session, principal: Principal, draw_id: Id) -> CsEntry:
    try:
        return service.get_draw(db, principal, draw_id)
    except ValidationFailed as exc:
        raise DrawNotFound(f"No draw {draw_id} in your clinics.") from exc


@router.post(
    "/draws/{draw_id}/administrations", response_model=DrawOut, status_code=201, responses=ERRORS
)
def administer(draw_id: Id, data: AmountIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    source = _draw(db, principal, draw_id)
    service.administer(db, principal, draw_id, data.amount_mg)
    return draw_out(db, principal, source)


@router.post("/draws/{draw_id}/waste", response_model=DrawOut, status_code=201, responses=ERRORS)
def waste(
    request: Request, draw_id: Id, data: WasteIn, principal: CurrentPrincipal, db: DbSession
) -> Any:
    """Waste, witnessed by the clinic's number of witnesses (setting, default 1),
    each confirming with their own credentials."""
    source = _draw(db, principal, draw_id)
    principal.require(Permission.LEDGER_ADMINISTER, source.clinic_id)
    witnesses = witnesses_for(request, db, principal, source.clinic_id, data.witnesses)
    service.waste(db, principal, draw_id, data.amount_mg, witnesses, policy_of(request))
    return draw_out(db, principal, source)


@router.post("/draws/{draw_id}/returns", response_model=DrawOut, status_code=201, responses=ERRORS)
def return_to_stock(draw_id: Id, data: AmountIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    source = _draw(db, principal, draw_id)
    service.return_to_stock(db, principal, draw_id, data.amount_mg)
    return draw_out(db, principal, source)


@router.post(
    "/draws/{draw_id}/corrections", response_model=DrawOut, status_code=201, responses=ERRORS
)
def correct(draw_id: Id, data: ReverseIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Take back an amount recorded in error (the wrong entry stays, referenced)."""
    source = _draw(db, principal, draw_id)
    service.reverse(db, principal, draw_id, data)
    return draw_out(db, principal, source)


# ---- counts, cases, losses --------------------------------------------------------


@router.post("/counts", response_model=CountOut, status_code=201, responses=ERRORS)
def count(data: CountIn, principal: CurrentPrincipal, db: DbSession) -> Any:
    """Every container in the location counted; each difference opens a case."""
    result = counts.record_count(db, principal, data)
    c = result.count
    return CountOut(
        id=c.id,
        location_id=c.location_id,
        kind=c.kind,
        business=c.business,
        counted_at=c.counted_at,
        discrepancies=[d.id for d in result.discrepancies],
    )


@router.get("/discrepancies", response_model=Page[DiscrepancyOut], responses=ERRORS)
def list_discrepancies(principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    clinic_ids = principal.require_any(Permission.LEDGER_READ)
    return paging.of(
        DiscrepancyOut(
            id=d.id,
            count_id=d.count_id,
            container_id=d.container_id,
            expected_mg=to_mg(d.expected_ug),
            counted_mg=to_mg(d.counted_ug),
            opened_at=d.opened_at,
            resolved=r is not None,
            outcome=r.outcome if r else None,
            explanation=r.explanation if r else None,
        )
        for d, r in repo.discrepancies(db, clinic_ids)
    )


@router.post("/discrepancies/{discrepancy_id}/resolution", status_code=201, responses=ERRORS)
def resolve(
    request: Request,
    discrepancy_id: Id,
    data: ResolutionIn,
    principal: CurrentPrincipal,
    db: DbSession,
) -> dict[str, Any]:
    """Resolve with an explanation and a second person's signature (their own
    credentials); the ledger follows the count, or the count was in error."""
    found = repo.discrepancy(db, principal.require_any(Permission.LEDGER_READ), discrepancy_id)
    if found is None:
        raise DiscrepancyNotFound(f"No discrepancy {discrepancy_id} in your clinics.")
    principal.require(Permission.LEDGER_STOCK, found[0].clinic_id)
    [second] = witnesses_for(request, db, principal, found[0].clinic_id, [data.second_signer])
    row = counts.resolve(db, principal, discrepancy_id, data, second)
    return {"id": row.id, "outcome": row.outcome, "adjust_entry_id": row.adjust_entry_id}


@router.get("/losses", response_model=Page[Record], responses=ERRORS)
def list_losses(principal: CurrentPrincipal, db: DbSession, paging: Paging) -> Any:
    """Each theft or loss with its DEA deadlines and what has been filed."""
    return paging.of(
        {
            "entry_id": v.entry.id,
            "container_id": v.entry.container_id,
            "amount_mg": to_mg(v.entry.amount_ug),
            **service.detail_of(v.entry),
            "notice_filed_on": v.notice_filed.filed_on if v.notice_filed else None,
            "form_106_filed_on": v.form_106_filed.filed_on if v.form_106_filed else None,
            "overdue": v.overdue(today_at(db, v.entry.clinic_id)),
        }
        for v in service.losses(db, principal)
    )


@router.post("/losses/{loss_id}/filings", status_code=201, responses=ERRORS)
def file_loss(
    loss_id: Id, data: FilingIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, Any]:
    row = service.record_filing(db, principal, loss_id, data)
    return {"id": row.id, "kind": row.kind, "filed_on": row.filed_on}


# ---- reports and verification ------------------------------------------------------


@router.get("/reports/{report_kind}", responses=ERRORS)
def report(
    report_kind: Annotated[str, Path(json_schema_extra={"enum": list(reports.KINDS)})],
    principal: CurrentPrincipal,
    db: DbSession,
    since: IsoDate | None = None,
    until: IsoDate | None = None,
    format: str = Query(default="json", pattern="^(json|csv|pdf)$"),
    patient_id: Id | None = None,
    clinic_id: Id | None = None,
) -> Any:
    """``report_kind``: dispensing, receipts, patient, inventory, form41, form106; dates are
    the clinic's (default: the last 30 days)."""
    clinic = clinic_of(db, principal, Permission.LEDGER_READ, clinic_id)
    until = until or today_in(clinic.timezone)
    since = since or until - timedelta(days=30)
    built = reports.build(db, principal, clinic, report_kind, since, until, patient_id)
    if format in ("csv", "pdf"):
        return download(built, format)
    return {
        "title": built.title,
        "since": since,
        "until": until,
        "columns": built.columns,
        "rows": built.rows,
    }


@router.get("/verify", response_model=VerifyOut, responses=ERRORS)
def verify_ledger(principal: CurrentPrincipal, db: DbSession) -> Any:
    """Recompute your clinics' balances and hash chains; the first problem, if any."""
    clinic_ids = principal.require_any(Permission.LEDGER_STOCK)
    checked, problem = verify.verify(db, clinic_ids)
    return VerifyOut(
        entries_checked=checked, ok=problem is None, problem=str(problem) if problem else None
    )
