"""A patient's self-pay account: payments and deposits with their receipts, refunds
of a payment, adjustments, and the account as staff read it (balance, entries,
packages with their visits left, payments with what is left to refund). Money
received is recorded, never processed: the card processor's reference is kept.
Every step audited; a refund holds its payment's row so two refunds cannot together
give back more than it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import account_repository as arepo
from ketaclinic.billing.account_errors import (
    AdjustmentInvalid,
    AdjustmentNoteRequired,
    AmountInvalid,
    MethodInvalid,
    PaymentNotFound,
    PurposeInvalid,
    RefundReasonRequired,
    RefundTooLarge,
)
from ketaclinic.billing.account_models import (
    PAYMENT_METHODS,
    PAYMENT_PURPOSES,
    AccountEntry,
    PackageDraw,
    PatientPackage,
)
from ketaclinic.billing.service.packages import clinics_of, patient_for_billing
from ketaclinic.clinical.billing import dollars
from ketaclinic.clinical.billing.accounts import (
    RefundRefused,
    check_refund,
    package_share_cents,
    refundable_cents,
    superbill_paid_cents,
    visits_left,
)
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.patients.models import Patient

MAX_AMOUNT_CENTS = 99_999_999
METHOD_WORDS = {
    "card": "Card",
    "cash": "Cash",
    "check": "Check",
    "hsa_fsa": "HSA/FSA card",
    "bank_transfer": "Bank transfer",
    "other": "Other",
}
KIND_WORDS = {
    "charge": "Charge",
    "package_sale": "Package sold",
    "package_cover": "Paid by package",
    "payment": "Payment",
    "refund": "Refund",
    "adjustment": "Adjustment",
}


@dataclass(frozen=True)
class PackageState:
    package: PatientPackage
    used: int
    left: int


@dataclass(frozen=True)
class PaymentState:
    entry: AccountEntry
    refunded_cents: int
    refundable_cents: int


@dataclass(frozen=True)
class Account:
    patient: Patient
    balance_cents: int
    entries: list[AccountEntry]
    total_entries: int
    packages: list[PackageState]
    payments: list[PaymentState]


def _text(value: str, limit: int) -> str:
    return " ".join(value.split())[:limit]


def _day(db: Session, clinic_id: int, on: date | None) -> date:
    """The day an entry is posted: today at the clinic, or an earlier day when money
    received before is recorded afterwards (never a day to come)."""
    today = today_at(db, clinic_id)
    return min(on, today) if on else today


def _next_receipt(db: Session, clinic_id: int, day: date) -> str:
    """The clinic's next receipt number, ``R-<year>-<seq>``, under a lock on the
    clinic's numbering so two payments at once never take the same one."""
    arepo.lock_receipts(db, clinic_id)
    prefix = f"R-{day.year}-"
    last = arepo.last_receipt(db, [clinic_id], clinic_id, prefix)
    seq = int(last[len(prefix) :]) + 1 if last and last[len(prefix) :].isdigit() else 1
    return f"{prefix}{seq:05d}"


def record_payment(
    db: Session,
    principal: Principal,
    patient_id: int,
    *,
    amount_cents: int,
    method: str,
    reference: str = "",
    purpose: str = "payment",
    note: str = "",
    on: date | None = None,
) -> AccountEntry:
    """Money received from the patient (a payment, or a deposit ahead of care): a
    credit on the account with a receipt number of its own."""
    patient = patient_for_billing(db, principal, patient_id)
    if not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise AmountInvalid()
    if method not in PAYMENT_METHODS:
        raise MethodInvalid()
    if purpose not in PAYMENT_PURPOSES:
        raise PurposeInvalid()
    today = _day(db, patient.clinic_id, on)
    row = AccountEntry(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind="payment",
        amount_cents=-amount_cents,
        posted_on=today,
        method=method,
        reference=_text(reference, 80),
        purpose=purpose,
        receipt_no=_next_receipt(db, patient.clinic_id, today),
        note=_text(note, 500),
        by_id=principal.user_id,
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.payment_recorded",
        patient,
        resource_type="account_entry",
        resource_id=row.id,
        detail={
            "amount_cents": amount_cents,
            "method": method,
            "purpose": purpose,
            "receipt_no": row.receipt_no,
        },
    )
    return row


def refund(
    db: Session,
    principal: Principal,
    patient_id: int,
    payment_id: int,
    *,
    amount_cents: int,
    reason: str,
    method: str | None = None,
    reference: str = "",
    on: date | None = None,
) -> AccountEntry:
    """Give back part or all of a payment: never more than is left of it after its
    earlier refunds. The payment's row is held while the refunds are added up."""
    patient = patient_for_billing(db, principal, patient_id)
    if len(reason.strip()) < 3:
        raise RefundReasonRequired()
    if method is not None and method not in PAYMENT_METHODS:
        raise MethodInvalid()
    ids = clinics_of(principal)
    payment = arepo.entry(db, ids, payment_id, lock=True)
    if payment is None or payment.kind != "payment" or payment.patient_id != patient.id:
        raise PaymentNotFound()
    earlier = arepo.refunds_of(db, ids, payment.id)
    try:
        check_refund(payment.amount_cents, earlier, amount_cents)
    except RefundRefused as exc:
        if amount_cents <= 0:
            raise AmountInvalid() from None
        raise RefundTooLarge(
            f"more than is left to refund of this payment ({dollars(exc.refundable_cents)})"
        ) from None
    today = _day(db, patient.clinic_id, on)
    row = AccountEntry(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind="refund",
        amount_cents=amount_cents,
        posted_on=today,
        method=method or payment.method,
        reference=_text(reference, 80),
        receipt_no=_next_receipt(db, patient.clinic_id, today),
        refund_of_id=payment.id,
        note=_text(reason, 500),
        by_id=principal.user_id,
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.refund_recorded",
        patient,
        resource_type="account_entry",
        resource_id=row.id,
        detail={"amount_cents": amount_cents, "payment": payment.receipt_no, "reason": row.note},
    )
    return row


def adjust(
    db: Session, principal: Principal, patient_id: int, *, amount_cents: int, note: str
) -> AccountEntry:
    """A write-off (negative) or a correction staff make by hand, with why."""
    patient = patient_for_billing(db, principal, patient_id)
    if amount_cents == 0 or abs(amount_cents) > MAX_AMOUNT_CENTS:
        raise AdjustmentInvalid()
    if len(note.strip()) < 3:
        raise AdjustmentNoteRequired()
    row = AccountEntry(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind="adjustment",
        amount_cents=amount_cents,
        posted_on=today_at(db, patient.clinic_id),
        reference="",
        note=_text(note, 500),
        by_id=principal.user_id,
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.adjustment_recorded",
        patient,
        resource_type="account_entry",
        resource_id=row.id,
        detail={"amount_cents": amount_cents, "note": row.note},
    )
    return row


def _package_states(packages: list[PatientPackage], draws: list[PackageDraw]) -> list[PackageState]:
    states = []
    for package in packages:
        own = [d for d in draws if d.patient_package_id == package.id]
        drawn = sum(1 for d in own if d.reverses_id is None)
        back = sum(1 for d in own if d.reverses_id is not None)
        left = visits_left(package.visits, drawn, back)
        states.append(PackageState(package, package.visits - left, left))
    return states


def account(
    db: Session, principal: Principal, patient_id: int, *, offset: int = 0, limit: int = 50
) -> Account:
    """The patient's account: balance, entries newest first (this page of them), the
    packages with their visits used and left, the payments with what is left to refund."""
    patient = patient_for_billing(db, principal, patient_id)
    ids = clinics_of(principal)
    packages = arepo.patient_packages(db, ids, patient.id)
    draws = arepo.draws_of_patient(db, ids, patient.id)
    money = arepo.of_kind(db, ids, patient.id, ("payment", "refund"))
    payments = []
    for entry in money:
        if entry.kind != "payment":
            continue
        back = [r.amount_cents for r in money if r.refund_of_id == entry.id]
        payments.append(PaymentState(entry, sum(back), refundable_cents(entry.amount_cents, back)))
    payments.reverse()
    audit.on_patient(
        db,
        principal,
        "patient.read",
        patient,
        resource_type="patient_account",
        resource_id=patient.id,
        detail={"purpose": "billing"},
    )
    return Account(
        patient=patient,
        balance_cents=arepo.balance(db, ids, patient.id),
        entries=arepo.entries(db, ids, patient.id, offset=offset, limit=limit),
        total_entries=arepo.count_entries(db, ids, patient.id),
        packages=_package_states(packages, draws),
        payments=payments,
    )


def paid_for_superbill(
    db: Session, patient: Patient, session_ids: set[int], total_cents: int, first: date, last: date
) -> int:
    """The superbill's amount paid (clinical.billing.accounts.superbill_paid_cents):
    each of its visits drawn from a package counts the package price's share for that
    visit; money received in the period counts less what bought a package sold in it.
    The caller checked who may see the bill (the patient's own clinic is read)."""
    ids = [patient.clinic_id]
    packages = {p.id: p for p in arepo.patient_packages(db, ids, patient.id)}
    shares = []
    counted: dict[int, int] = {}
    reversed_ids = set()
    draws = arepo.draws_of_patient(db, ids, patient.id)
    for draw in draws:
        if draw.reverses_id is not None:
            reversed_ids.add(draw.reverses_id)
    for draw in draws:
        if draw.reverses_id is not None or draw.id in reversed_ids:
            continue
        package = packages.get(draw.patient_package_id)
        if package is None:
            continue
        counted[package.id] = counted.get(package.id, 0) + 1
        nth = counted[package.id]
        if draw.session_id in session_ids and nth <= package.visits:
            shares.append(package_share_cents(package.price_cents, package.visits, nth))
    sums = arepo.money_in_period(db, ids, patient.id, first, last)
    received = -(sums.get("payment", 0) + sums.get("refund", 0))
    return superbill_paid_cents(total_cents, shares, received, sums.get("package_sale", 0))
