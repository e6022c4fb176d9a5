"""Records an inspector asks for, filtered by dates, as CSV and PDF: the dispensing
and administration log, receipts, one patient's administrations, inventories, and
draft data for DEA Form 41 (destruction) and Form 106 (theft or loss).

Every report is read-only and audited. Nothing in the ledger is ever purged: the
entries are append-only (database triggers refuse DELETE), which more than meets
the two-year retention of 21 CFR 1304.04 (docs/clinical-references.md#controlled-substances).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fpdf import FPDF
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth.service import user_names
from ketaclinic.clinical.controlled import to_mg
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import to_local
from ketaclinic.ledger import errors
from ketaclinic.ledger import repository as repo
from ketaclinic.ledger.models import CsEntry
from ketaclinic.ledger.service import detail_of, losses, people_of, witness_ids_of

KINDS = {
    "dispensing": "Dispensing and administration log",
    "receipts": "Receipts log",
    "patient": "Administration history of one patient",
    "inventory": "Inventory (initial and biennial)",
    "form41": "DEA Form 41 draft: controlled substances destroyed",
    "form106": "DEA Form 106 draft: theft or loss",
}
Table = tuple[tuple[str, ...], list[tuple[str, ...]]]
DISPENSING = ("draw", "administer", "waste", "return", "reverse")


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    clinic: str
    since: date
    until: date
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class _Context:
    db: Session
    principal: Principal
    clinic: Clinic
    since: date
    until: date

    def bounds(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.clinic.timezone)
        start = datetime.combine(self.since, time(), zone)
        end = datetime.combine(self.until + timedelta(days=1), time(), zone)
        return start, end

    def when(self, at: datetime) -> str:
        return to_local(at, self.clinic.timezone).strftime("%Y-%m-%d %H:%M")

    def entries(self, kinds: Sequence[str], patient_id: int | None = None) -> list[CsEntry]:
        start, end = self.bounds()
        return repo.entries(
            self.db, [self.clinic.id], since=start, until=end, kinds=kinds, patient_id=patient_id
        )


def _stock_labels(ctx: _Context) -> dict[int, tuple[str, str, str, str, str, str]]:
    """container id -> (label, lot, expiry, product name, NDC, strength/form)."""
    return {
        c.id: (
            c.label,
            lot.lot_number,
            lot.expires.isoformat(),
            p.name,
            p.ndc,
            f"{p.strength}, {p.form}",
        )
        for c, lot, p, _loc in repo.stock(ctx.db, [ctx.clinic.id], include_empty=True)
    }


def _patients(ctx: _Context, entries: Sequence[CsEntry]) -> dict[int, str]:
    """Names for those who may read charts; record numbers for the custodian."""
    ids = sorted({e.patient_id for e in entries if e.patient_id})
    rows = repo.patients_by_id(ctx.db, [ctx.clinic.id], ids)
    if ctx.principal.can(Permission.PATIENT_READ, ctx.clinic.id):
        return {p.id: f"{p.family_name}, {p.given_name} ({p.mrn})" for p in rows}
    return {p.id: p.mrn for p in rows}


def _mg(ug: int) -> str:
    return f"{to_mg(ug):f}"


def _dispensing(ctx: _Context, patient_id: int | None = None) -> Table:
    entries = ctx.entries(DISPENSING, patient_id)
    stock = _stock_labels(ctx)
    names = people_of(ctx.db, entries)
    people = _patients(ctx, entries)
    columns = (
        "When",
        "Entry",
        "Kind",
        "Draw",
        "Patient",
        "Container",
        "Lot",
        "Product",
        "Amount (mg)",
        "By",
        "Witnesses",
        "Corrects",
        "Reason",
    )
    rows: list[tuple[str, ...]] = [
        (
            ctx.when(e.occurred_at),
            str(e.id),
            e.kind,
            str(e.draw_entry_id or e.id),
            people.get(e.patient_id or 0, ""),
            stock[e.container_id][0],
            stock[e.container_id][1],
            stock[e.container_id][3],
            _mg(e.amount_ug),
            names[e.by_id],
            "; ".join(names[w] for w in witness_ids_of(e)),
            str(e.corrects_id or ""),
            e.reason,
        )
        for e in entries
    ]
    return columns, rows


def _receipts(ctx: _Context) -> Table:
    entries = ctx.entries(["receive"])
    stock = _stock_labels(ctx)
    names = user_names(ctx.db, [e.by_id for e in entries])
    columns = (
        "Received",
        "Product",
        "NDC",
        "Strength, form",
        "Lot",
        "Expires",
        "Container",
        "Amount (mg)",
        "Supplier",
        "Supplier address",
        "Supplier DEA",
        "Invoice",
        "Received by",
    )
    rows: list[tuple[str, ...]] = []
    for e in entries:
        d = detail_of(e)
        label, lot, expires, product, ndc, strength = stock[e.container_id]
        rows.append(
            (
                d["received_on"],
                product,
                ndc,
                strength,
                lot,
                expires,
                label,
                _mg(e.amount_ug),
                d["supplier_name"],
                d["supplier_address"],
                d["supplier_dea"],
                d["invoice_number"],
                names[e.by_id],
            )
        )
    return columns, rows


def _inventory(ctx: _Context) -> Table:
    start, end = ctx.bounds()
    kinds = ("initial_inventory", "biennial_inventory")
    taken = [
        c
        for c in repo.counts(ctx.db, [ctx.clinic.id], limit=1000)
        if c.kind in kinds and start <= c.counted_at < end
    ]
    stock = _stock_labels(ctx)
    names = user_names(ctx.db, [c.counted_by_id for c in taken])
    by_count = {c.id: c for c in taken}
    columns = (
        "Inventory",
        "Date",
        "Time",
        "Business",
        "Product",
        "Strength, form",
        "NDC",
        "Container",
        "Lot",
        "Quantity (mg)",
        "Estimated",
        "Counted by",
    )
    rows: list[tuple[str, ...]] = []
    for line in repo.count_lines(ctx.db, list(by_count)):
        count = by_count[line.count_id]
        label, lot, _exp, product, ndc, strength = stock[line.container_id]
        local = to_local(count.counted_at, ctx.clinic.timezone)
        rows.append(
            (
                count.kind.replace("_", " "),
                local.date().isoformat(),
                local.strftime("%H:%M"),
                f"{count.business} of business",
                product,
                strength,
                ndc,
                label,
                lot,
                _mg(line.counted_ug),
                "yes" if line.estimated else "no",
                names[count.counted_by_id],
            )
        )
    return columns, rows


def _form41(ctx: _Context) -> Table:
    entries = ctx.entries(["destroy"])
    stock = _stock_labels(ctx)
    names = user_names(ctx.db, [e.by_id for e in entries])
    columns = (
        "Destroyed on",
        "Product",
        "NDC",
        "Strength, form",
        "Container",
        "Lot",
        "Quantity (mg)",
        "Method",
        "Reason",
        "Destroyed by",
        "Witness 1",
        "Witness 2",
    )
    rows: list[tuple[str, ...]] = []
    for e in entries:
        d = detail_of(e)
        label, lot, _exp, product, ndc, strength = stock[e.container_id]
        w = [*d.get("witness_names", []), "", ""]
        rows.append(
            (
                d["destroyed_on"],
                product,
                ndc,
                strength,
                label,
                lot,
                _mg(e.amount_ug),
                d["method"],
                d["reason"],
                names[e.by_id],
                w[0],
                w[1],
            )
        )
    return columns, rows


def _form106(ctx: _Context) -> Table:
    start, end = ctx.bounds()
    views = [
        v
        for v in losses(ctx.db, ctx.principal)
        if v.entry.clinic_id == ctx.clinic.id and start <= v.entry.occurred_at < end
    ]
    stock = _stock_labels(ctx)
    columns = (
        "Discovered",
        "Type",
        "Product",
        "NDC",
        "Strength, form",
        "Container",
        "Lot",
        "Quantity (mg)",
        "Circumstances",
        "Notice due",
        "Notice sent",
        "Form 106 due",
        "Form 106 filed",
    )
    rows: list[tuple[str, ...]] = []
    for v in reversed(views):
        d = detail_of(v.entry)
        label, lot, _exp, product, ndc, strength = stock[v.entry.container_id]
        rows.append(
            (
                d["discovered"],
                d["loss_kind"],
                product,
                ndc,
                strength,
                label,
                lot,
                _mg(v.entry.amount_ug),
                d["circumstances"],
                v.notice_due.isoformat(),
                v.notice_filed.filed_on.isoformat() if v.notice_filed else "",
                v.form_106_due.isoformat(),
                v.form_106_filed.filed_on.isoformat() if v.form_106_filed else "",
            )
        )
    return columns, rows


def build(
    db: Session,
    principal: Principal,
    clinic: Clinic,
    kind: str,
    since: date,
    until: date,
    patient_id: int | None = None,
) -> Report:
    principal.require(Permission.LEDGER_READ, clinic.id)
    if kind not in KINDS:
        raise errors.ReportKindUnknown(f"choose one of: {', '.join(KINDS)}")
    if until < since:
        raise errors.ReportRangeReversed()
    if until - since > timedelta(days=3 * 366):
        raise errors.ReportRangeTooLong()
    ctx = _Context(db, principal, clinic, since, until)
    detail = {"kind": kind, "since": since.isoformat(), "until": until.isoformat()}
    if kind == "patient":
        if patient_id is None:
            raise errors.ReportPatientRequired()
        found = repo.patients_by_id(db, [clinic.id], [patient_id])
        if not found:
            raise errors.ReportPatientUnknown()
        principal.require(Permission.PATIENT_READ, clinic.id)
        columns, rows = _dispensing(ctx, patient_id)
        audit.on_patient(
            db,
            principal,
            "ledger.report",
            found[0],
            resource_type="cs_report",
            resource_id=kind,
            detail=detail,
        )
    else:
        columns, rows = {
            "dispensing": _dispensing,
            "receipts": _receipts,
            "inventory": _inventory,
            "form41": _form41,
            "form106": _form106,
        }[kind](ctx)
        audit.record(
            db,
            principal,
            "ledger.report",
            clinic_id=clinic.id,
            resource_type="cs_report",
            resource_id=kind,
            detail=detail,
        )
    return Report(kind, KINDS[kind], clinic.name, since, until, columns, rows)


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(report.columns)
    writer.writerows(report.rows)
    return out.getvalue()


def to_pdf(report: Report) -> bytes:
    """The report on landscape Letter pages, inside fpdf2's 10 mm margins, its cells
    set flush left (fpdf2's tables justify by default, spreading "Okafor, Bianca")
    in columns as wide as their content needs."""
    pdf = FPDF(orientation="L", unit="mm", format="Letter")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    title = _latin(f"{report.clinic}: {report.title}")
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", "", 9)
    period = f"{report.since.isoformat()} to {report.until.isoformat()}  -  {len(report.rows)} rows"
    pdf.multi_cell(0, 6, period, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", "", 6.5)
    rows = [tuple(_latin(value) for value in row) for row in [report.columns, *report.rows]]
    with pdf.table(
        first_row_as_headings=True,
        line_height=3.6,
        text_align="LEFT",
        col_widths=_column_widths(pdf, rows),
    ) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(value)
    return bytes(pdf.output())


def _column_widths(pdf: FPDF, rows: list[tuple[str, ...]]) -> tuple[float, ...]:
    """Each column's width (mm): at least its longest word, so no lot number or name
    is cut mid-word, and as much of its longest entry (a long one counts as 45 mm and
    wraps) as the page leaves once every column has its longest word."""
    pad = 2.5  # fpdf2 pads a cell by 1 mm each side
    least, wanted = [], []
    for column in zip(*rows, strict=True):
        heading, values = column[0], column[1:]
        pdf.set_font(style="B")
        word = max((pdf.get_string_width(w) for w in heading.split()), default=0.0)
        pdf.set_font(style="")
        word = max([word, *(pdf.get_string_width(w) for v in values for w in v.split())])
        longest = max(min(pdf.get_string_width(v), 45.0) for v in column)
        least.append(word + pad)
        wanted.append(max(word, longest) + pad)
    spare, extra = pdf.epw - sum(least), sum(wanted) - sum(least)
    if spare <= 0 or extra <= spare:
        return tuple(wanted) if spare > 0 else tuple(least)
    return tuple(lo + (hi - lo) * spare / extra for lo, hi in zip(least, wanted, strict=True))


def _latin(text: str) -> str:
    """The PDF core fonts are Latin-1: spell out what they cannot draw."""
    return text.replace("µ", "u").encode("latin-1", "replace").decode("latin-1")
