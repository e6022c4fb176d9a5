"""The deployment's clock, stored so every process and command runs on the same
one: the wall clock in production (no row); the demo loader stores the shift that
puts its clinic day under the clock (``demo.clock``), and pages say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, CheckConstraint, Integer, String, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import utcnow


class ClockShift(Base):
    """One row at most: how far this deployment's clock runs from the wall clock."""

    __tablename__ = "clock_shift"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shift_seconds: Mapped[int] = mapped_column(BigInteger)
    timezone: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class StoredClock:
    shift: timedelta = timedelta(0)
    timezone: str = "UTC"  # where the clock's time is shown
    reason: str = ""


def store_clock(db: Session, shift: timedelta, timezone: str, reason: str) -> None:
    row = db.get(ClockShift, 1)
    if row is None:
        row = ClockShift(id=1)
        db.add(row)
    row.shift_seconds = round(shift.total_seconds())
    row.timezone = timezone
    row.reason = reason
    db.flush()


def read_clock(db: Session) -> StoredClock:
    """The stored clock; the wall clock when none is stored or the schema predates it.
    Reads in a transaction of its own (``db`` is closed after)."""
    try:
        with db:
            row = db.scalar(select(ClockShift).where(ClockShift.id == 1))
    except DBAPIError:  # not migrated yet: nothing can have been stored
        return StoredClock()
    if row is None:
        return StoredClock()
    return StoredClock(timedelta(seconds=row.shift_seconds), row.timezone, row.reason)
