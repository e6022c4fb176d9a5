"""Rate limits every server process shares: counters in the database.

A sliding window, approximated the way ``limits``' sliding-window counter does: one
counter per (scope, key, fixed window), and the previous window's count weighted by
how much of it still overlaps the sliding window. A hit is one atomic upsert
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so hits from many processes at
once are all counted. Keys are an HMAC of what is limited (an address) under the
deployment's secret key: the address itself is never stored, and the small space of
IPv4 addresses cannot be hashed through to find it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from limits import parse
from sqlalchemy import BigInteger, Index, Integer, String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from ketaclinic.kit.db import Base
from ketaclinic.kit.time import utcnow


class RateLimitCounter(Base):
    """Hits on one key in one fixed window (``window_start`` in seconds since the epoch)."""

    __tablename__ = "rate_limit_counters"
    __table_args__ = (Index("ix_rate_limit_counters_scope_window", "scope", "window_start"),)

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Rate:
    amount: int
    window_seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``limits`` syntax: "5/hour", "10 per 15 minutes"."""
        item = parse(text)
        return cls(item.amount, item.get_expiry())


def key_of(secret_key: str, scope: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"{scope}\0{value}".encode(), hashlib.sha256).hexdigest()


def hit(db: Session, rate: Rate, scope: str, key_hash: str) -> bool:
    """Count one hit on ``key_hash``; False when it goes over ``rate`` (a refused hit
    counts too: a client that keeps trying stays refused). Written in ``db``'s
    transaction; windows no one can ask about any more are deleted on the way."""
    window = rate.window_seconds
    now = utcnow().timestamp()
    start = int(now // window * window)
    db.execute(
        delete(RateLimitCounter).where(
            RateLimitCounter.scope == scope, RateLimitCounter.window_start < start - window
        )
    )
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    upsert = (
        insert(RateLimitCounter)
        .values(scope=scope, key_hash=key_hash, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=["scope", "key_hash", "window_start"],
            set_={"hits": RateLimitCounter.hits + 1},
        )
        .returning(RateLimitCounter.hits)
    )
    current = int(db.execute(upsert).scalar_one())
    previous = db.scalar(
        select(RateLimitCounter.hits).where(
            RateLimitCounter.scope == scope,
            RateLimitCounter.key_hash == key_hash,
            RateLimitCounter.window_start == start - window,
        )
    )
    overlap = (window - (now - start)) / window  # how much of the previous window still counts
    return (previous or 0) * overlap + current <= rate.amount
