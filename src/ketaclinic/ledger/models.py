"""The Schedule III stock ledger: products, lots, safes and containers (the stock
model), and the entries that move stock (append-only, hash-chained per location).

Amounts are stored as whole micrograms (``*_ug`` integers), exact on both
databases; the application speaks mg as ``Decimal``. Containers carry the current
balance as a projection of the entries, updated in the same transaction;
``ketaclinic ledger verify`` recomputes it from the entries and the chain.
Counts, discrepancy cases and their resolutions, and loss filings are append-only
too: a correction is always a new row that references the old one.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
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

ENTRY_KINDS = (
    "receive",
    "transfer_out",
    "transfer_in",
    "draw",
    "administer",
    "waste",
    "return",
    "destroy",
    "loss",
    "adjust",
    "reverse",
)
CONTAINER_STATUSES = ("sealed", "opened", "empty")
COUNT_KINDS = ("shift", "daily", "initial_inventory", "biennial_inventory")
BIG = BigInteger().with_variant(Integer, "sqlite")


class CsProduct(Base):
    """A controlled-substance product as supplied (one NDC)."""

    __tablename__ = "cs_products"
    __table_args__ = (
        CheckConstraint("drug IN ('ketamine', 'esketamine')", name="drug"),
        CheckConstraint("container_ug > 0", name="container_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ndc: Mapped[str] = mapped_column(String(13), unique=True)
    drug: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    strength: Mapped[str] = mapped_column(String(40))  # as labelled: "50 mg/mL"
    form: Mapped[str] = mapped_column(String(40))  # "injection, vial"
    container_ug: Mapped[int] = mapped_column(BIG)  # drug per full container
    container_ul: Mapped[int | None] = mapped_column(Integer, nullable=True)  # volume, µL
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CsLocation(Base):
    """A safe or locked cabinet. Its row is also the head of its entries' hash
    chain: locking it serialises appends to the location."""

    __tablename__ = "cs_locations"
    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(200), default="")
    last_seq: Mapped[int] = mapped_column(BIG, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CsLot(Base):
    __tablename__ = "cs_lots"
    __table_args__ = (UniqueConstraint("clinic_id", "product_id", "lot_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("cs_products.id"))
    lot_number: Mapped[str] = mapped_column(String(40))
    expires: Mapped[date] = mapped_column(Date)


class CsContainer(Base):
    """One vial, bag or device. ``on_hand_ug``, ``status`` and ``location_id`` are the
    entries' current projection (verified by ``ledger verify``)."""

    __tablename__ = "cs_containers"
    __table_args__ = (
        UniqueConstraint("clinic_id", "label"),
        CheckConstraint("on_hand_ug >= 0", name="on_hand_not_negative"),
        CheckConstraint("status IN ('sealed', 'opened', 'empty')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("cs_lots.id"))
    label: Mapped[str] = mapped_column(String(40))
    location_id: Mapped[int] = mapped_column(ForeignKey("cs_locations.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="sealed")
    on_hand_ug: Mapped[int] = mapped_column(BIG)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CsEntry(Base):
    """One stock movement. Never updated or deleted (database triggers refuse)."""

    __tablename__ = "cs_entries"
    __table_args__ = (
        UniqueConstraint("location_id", "seq"),
        Index("ix_cs_entries_clinic_time", "clinic_id", "occurred_at"),
        Index("ix_cs_entries_container", "container_id", "id"),
        Index("ix_cs_entries_draw", "draw_entry_id"),
        Index("ix_cs_entries_patient", "patient_id", "occurred_at"),
        CheckConstraint(
            "kind IN ('receive', 'transfer_out', 'transfer_in', 'draw', 'administer', "
            "'waste', 'return', 'reverse', 'destroy', 'loss', 'adjust')",
            name="kind",
        ),
        CheckConstraint("amount_ug >= 0 AND balance_ug >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(BIG, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("cs_locations.id"))
    seq: Mapped[int] = mapped_column(BIG)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    container_id: Mapped[int] = mapped_column(ForeignKey("cs_containers.id"))
    # administer, waste and return account for this draw.
    draw_entry_id: Mapped[int | None] = mapped_column(ForeignKey("cs_entries.id"), nullable=True)
    amount_ug: Mapped[int] = mapped_column(BIG, default=0)
    # The container's balance after this entry, as on a paper log.
    balance_ug: Mapped[int] = mapped_column(BIG)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True
    )
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    witness_ids: Mapped[str] = mapped_column(String(80), default="")  # "3,7", confirmed
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("cs_entries.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON: receipt, Form 41, loss
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CsCount(Base):
    """A count of one location (shift, daily) or an inventory (initial, biennial)."""

    __tablename__ = "cs_counts"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('shift', 'daily', 'initial_inventory', 'biennial_inventory')", name="kind"
        ),
        CheckConstraint("business IN ('open', 'close')", name="business"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("cs_locations.id"))
    kind: Mapped[str] = mapped_column(String(20))
    business: Mapped[str] = mapped_column(String(5))  # at the opening or close of business
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    counted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class CsCountLine(Base):
    __tablename__ = "cs_count_lines"
    __table_args__ = (UniqueConstraint("count_id", "container_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("cs_counts.id"))
    container_id: Mapped[int] = mapped_column(ForeignKey("cs_containers.id"))
    expected_ug: Mapped[int] = mapped_column(BIG)
    counted_ug: Mapped[int] = mapped_column(BIG)
    # An opened Schedule III container may be estimated (21 CFR 1304.11).
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)


class CsDiscrepancy(Base):
    """A count line that did not match the ledger: a case to resolve."""

    __tablename__ = "cs_discrepancies"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("cs_counts.id"))
    container_id: Mapped[int] = mapped_column(ForeignKey("cs_containers.id"))
    expected_ug: Mapped[int] = mapped_column(BIG)
    counted_ug: Mapped[int] = mapped_column(BIG)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CsResolution(Base):
    """How a discrepancy was resolved, signed by two people."""

    __tablename__ = "cs_resolutions"
    __table_args__ = (
        CheckConstraint("outcome IN ('ledger_follows_count', 'count_in_error')", name="outcome"),
        CheckConstraint("second_signer_id <> resolved_by_id", name="two_people"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discrepancy_id: Mapped[int] = mapped_column(ForeignKey("cs_discrepancies.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(24))
    explanation: Mapped[str] = mapped_column(Text)
    resolved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    second_signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    adjust_entry_id: Mapped[int | None] = mapped_column(ForeignKey("cs_entries.id"), nullable=True)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CsLossFiling(Base):
    """The DEA notice (1 business day) or Form 106 (45 days) after a loss entry."""

    __tablename__ = "cs_loss_filings"
    __table_args__ = (
        UniqueConstraint("entry_id", "kind"),
        CheckConstraint("kind IN ('notice', 'form_106')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("cs_entries.id"))
    kind: Mapped[str] = mapped_column(String(10))
    filed_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(80), default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
