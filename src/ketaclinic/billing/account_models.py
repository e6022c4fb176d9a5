"""Self-pay accounts (issue 23, point 4): the clinic's package catalogue, packages
sold to patients, the visits drawn from them, and the patient's account ledger.

Every table here is append-only (a trigger refuses UPDATE and DELETE): a change is
a new row. Money is integer cents.

The account is one signed ledger per patient, ``account_entries``; the balance is
the sum of its amounts (positive: the patient owes the clinic; negative: a credit,
e.g. a deposit not yet used):

- ``charge``: a finalised charge line (``charge_line_id``), its amount; a correcting
  line's entry carries its own (negative) amount;
- ``package_sale``: a package sold (``patient_package_id``), its price;
- ``package_cover``: a visit drawn from a package (``package_draw_id``): minus the
  visit's final charges, which the package's price already paid for, so six
  infusions drawn from a paid six-infusion package leave a zero balance;
- ``payment``: money received (negative), by ``method`` with the card processor's
  ``reference``; ``purpose`` says whether it was a payment or a deposit/prepayment;
  each has a ``receipt_no``;
- ``refund``: money given back (positive), ``refund_of_id`` the payment refunded (a
  payment is refunded at most up to its amount, in one or several refunds);
- ``adjustment``: a write-off or correction staff recorded with a ``note``.

``posted_on`` is the clinic's local date of the entry (the daily close and the
ageing read it); ``at`` when it was recorded.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow

ENTRY_KINDS = ("charge", "package_sale", "package_cover", "payment", "refund", "adjustment")
PAYMENT_METHODS = ("card", "cash", "check", "hsa_fsa", "bank_transfer", "other")
PAYMENT_PURPOSES = ("payment", "deposit")
PACKAGE_KINDS = ("induction", "booster", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Package(Base):
    """One version of a package the clinic sells: ``visits`` visits for
    ``price_cents``; the newest row of a ``key`` counts (``active`` false retires it)."""

    __tablename__ = "billing_packages"
    __table_args__ = (
        CheckConstraint("visits > 0", name="visits"),
        CheckConstraint("price_cents >= 0", name="price"),
        CheckConstraint(_in("kind", PACKAGE_KINDS), name="kind"),
        Index("ix_billing_packages_clinic_key", "clinic_id", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    visits: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PatientPackage(Base):
    """A package sold to a patient, with the name, visits and price as sold."""

    __tablename__ = "patient_packages"
    __table_args__ = (
        CheckConstraint("visits > 0", name="visits"),
        CheckConstraint("price_cents >= 0", name="price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("billing_packages.id"))
    name: Mapped[str] = mapped_column(String(120))
    visits: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    sold_on: Mapped[date] = mapped_column(Date)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PackageDraw(Base):
    """One visit drawn from a patient's package (the service draws a visit at most
    once, under a lock on the package); ``reverses_id`` gives a visit back (a
    corrected or voided visit)."""

    __tablename__ = "package_draws"
    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    patient_package_id: Mapped[int] = mapped_column(ForeignKey("patient_packages.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chairside_sessions.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("package_draws.id"), nullable=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountEntry(Base):
    """One signed line of a patient's account (see the module's docstring)."""

    __tablename__ = "account_entries"
    __table_args__ = (
        CheckConstraint(_in("kind", ENTRY_KINDS), name="kind"),
        CheckConstraint(
            "(kind <> 'payment' OR amount_cents < 0) AND (kind <> 'refund' OR amount_cents > 0)",
            name="sign",
        ),
        CheckConstraint(
            f"(kind NOT IN ('payment', 'refund')) OR ({_in('method', PAYMENT_METHODS)})",
            name="method",
        ),
        CheckConstraint(f"purpose IS NULL OR {_in('purpose', PAYMENT_PURPOSES)}", name="purpose"),
        Index("ix_account_entries_patient_day", "patient_id", "posted_on"),
        Index("ix_account_entries_clinic_day", "clinic_id", "posted_on"),
        UniqueConstraint("clinic_id", "receipt_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(14))
    amount_cents: Mapped[int] = mapped_column(Integer)
    posted_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(14), nullable=True)
    reference: Mapped[str] = mapped_column(String(80), default="")
    purpose: Mapped[str | None] = mapped_column(String(10), nullable=True)
    receipt_no: Mapped[str | None] = mapped_column(String(20), nullable=True)
    charge_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("charge_lines.id"), nullable=True, index=True
    )
    patient_package_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient_packages.id"), nullable=True
    )
    package_draw_id: Mapped[int | None] = mapped_column(
        ForeignKey("package_draws.id"), nullable=True
    )
    refund_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_entries.id"), nullable=True, index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


APPEND_ONLY = ("billing_packages", "patient_packages", "package_draws", "account_entries")
