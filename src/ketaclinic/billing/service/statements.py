"""A patient's account statement for a period and a payment's receipt, for staff with
the billing permission and for the patient in the portal; every reading audited on
the patient's chain. The arithmetic is the pure core's
(``clinical.billing.statements``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import report_repository as repo
from ketaclinic.billing.account_models import AccountEntry
from ketaclinic.billing.report_errors import ReceiptNotFound, ReportPeriodInvalid
from ketaclinic.billing.repository import users_named
from ketaclinic.clinical.billing.statements import Entry, statement
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.patients.models import Patient

DEFAULT_DAYS = 30
LONGEST_DAYS = 366
METHOD_WORDS = {
    "card": "card",
    "cash": "cash",
    "check": "check",
    "hsa_fsa": "HSA/FSA card",
    "bank_transfer": "bank transfer",
    "other": "other",
}


def method_words(method: str | None) -> str:
    return METHOD_WORDS.get(method or "", method or "")


@dataclass(frozen=True)
class Header:
    """Who the document is from and for."""

    clinic_name: str
    clinic_address: str
    clinic_phone: str  # the clinic record has no telephone yet: empty, shown as such
    patient_name: str
    patient_mrn: str
    patient_address: str


@dataclass(frozen=True)
class Line:
    posted_on: date
    description: str
    amount_cents: int
    balance_cents: int
    receipt_of: int | None = None  # a payment's entry, whose receipt the page links


@dataclass(frozen=True)
class StatementDoc:
    header: Header
    first: date
    last: date
    opening_cents: int
    lines: list[Line]
    closing_cents: int

    @property
    def due_cents(self) -> int:
        """What the patient owes now (a credit is not due)."""
        return max(self.closing_cents, 0)


@dataclass(frozen=True)
class ReceiptDoc:
    header: Header
    receipt_no: str
    posted_on: date
    amount_cents: int  # received, positive
    method: str
    reference: str
    purpose: str
    received_by: str
    refunded_cents: int
    entry_id: int


def header(clinic: Clinic, patient: Patient) -> Header:
    place = [patient.address_line, patient.city, patient.region, patient.postal_code]
    return Header(
        clinic_name=clinic.name,
        clinic_address=clinic.address,
        clinic_phone="",
        patient_name=f"{patient.given_name} {patient.family_name}",
        patient_mrn=patient.mrn,
        patient_address=", ".join(part for part in place if part),
    )


def period(today: date, first: date | None, last: date | None) -> tuple[date, date]:
    """The period asked for: by default the last 30 days up to today."""
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS)
    if last < first or (last - first).days > LONGEST_DAYS:
        raise ReportPeriodInvalid()
    return first, last


def describe(found: repo.Described) -> str:
    """An entry in words, as the statement prints it."""
    e = found.entry
    if e.kind == "charge":
        what = " ".join(part for part in (found.code, found.charge_description) if part)
        return f"Correction: {what}" if e.amount_cents < 0 else (what or "Charge")
    if e.kind == "package_sale":
        return f"Package: {found.package_name or 'package'}"
    if e.kind == "package_cover":
        return f"Covered by package: {found.package_name or 'package'}"
    if e.kind == "payment":
        kind = "Deposit" if e.purpose == "deposit" else "Payment"
        receipt = f", receipt {e.receipt_no}" if e.receipt_no else ""
        return f"{kind}, {method_words(e.method)}{receipt}"
    if e.kind == "refund":
        of = f" of receipt {found.refunded_receipt_no}" if found.refunded_receipt_no else ""
        return f"Refund{of}, {method_words(e.method)}"
    return f"Adjustment: {e.note}" if e.note else "Adjustment"


def build(
    db: Session,
    principal: Principal | None,
    patient: Patient,
    clinic: Clinic,
    first: date,
    last: date,
    *,
    actor: str | None = None,
    origin: Origin | None = None,
) -> StatementDoc:
    """The statement of ``patient``'s account from ``first`` to ``last``. The caller
    checked who may read it (staff with billing, or the patient themself)."""
    if last < first:
        raise ReportPeriodInvalid()
    ids = [patient.clinic_id]
    opening = repo.balance_before(db, ids, patient.id, first)
    found = repo.entries_between(db, ids, patient.id, first, last)
    entries = [
        Entry(f.entry.posted_on, f.entry.amount_cents, f.entry.kind, i) for i, f in enumerate(found)
    ]
    made = statement(entries, first, last, opening)
    lines = [
        Line(
            entry.posted_on,
            describe(found[entry.id]),
            entry.amount_cents,
            balance,
            found[entry.id].entry.id if entry.kind == "payment" else None,
        )
        for entry, balance in made.running()
    ]
    audit.on_patient(
        db,
        principal,
        "patient.billing.statement",
        patient,
        detail={"from": first.isoformat(), "to": last.isoformat(), "entries": len(lines)},
        actor=actor,
        origin=origin,
    )
    return StatementDoc(
        header(clinic, patient), first, last, made.opening_cents, lines, made.closing_cents
    )


def receipt(
    db: Session,
    principal: Principal | None,
    patient: Patient,
    clinic: Clinic,
    entry_id: int,
    *,
    actor: str | None = None,
    origin: Origin | None = None,
) -> ReceiptDoc:
    """The receipt of one payment on ``patient``'s account (404 for any other entry)."""
    ids = [patient.clinic_id]
    found = repo.payment(db, ids, patient.id, entry_id)
    if found is None:
        raise ReceiptNotFound()
    names = users_named(db, {found.by_id} if found.by_id else set())
    audit.on_patient(
        db,
        principal,
        "patient.billing.receipt",
        patient,
        resource_type="account_entry",
        resource_id=found.id,
        detail={"receipt_no": found.receipt_no or ""},
        actor=actor,
        origin=origin,
    )
    return ReceiptDoc(
        header=header(clinic, patient),
        receipt_no=found.receipt_no or "",
        posted_on=found.posted_on,
        amount_cents=-found.amount_cents,
        method=method_words(found.method),
        reference=found.reference,
        purpose="Deposit (prepayment)" if found.purpose == "deposit" else "Payment",
        received_by=names.get(found.by_id or 0, ""),
        refunded_cents=repo.refunded_cents(db, ids, found.id),
        entry_id=found.id,
    )


def receipts_of(
    db: Session,
    principal: Principal | None,
    patient: Patient,
    *,
    actor: str | None = None,
    origin: Origin | None = None,
) -> list[AccountEntry]:
    """The patient's payments, newest first (the portal's list of receipts). The
    caller checked who is asking."""
    found = repo.payments_of(db, [patient.clinic_id], patient.id)
    audit.on_patient(
        db,
        principal,
        "patient.billing.receipts",
        patient,
        detail={"payments": len(found)},
        actor=actor,
        origin=origin,
    )
    return found
