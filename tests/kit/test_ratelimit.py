"""Rate limits in the database: every server process counts the same hits, the
window slides, old windows are deleted and the address is never stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.kit.ratelimit import Rate, RateLimitCounter, hit, key_of

HOUR = Rate(3, 3600)
AT = datetime(2026, 12, 9, 20, 0, tzinfo=UTC)  # the start of an hour window


def _hits(db: Session, key: str, *offsets_s: int) -> list[bool]:
    allowed = []
    for offset in offsets_s:
        with time_machine.travel(AT + timedelta(seconds=offset), tick=False):
            allowed.append(hit(db, HOUR, "test", key))
    return allowed


def test_it_refuses_the_hit_over_the_rate_and_keeps_refusing_a_client_that_insists(
    db: Session,
) -> None:
    key = key_of("secret", "test", "203.0.113.9")
    assert _hits(db, key, 0, 60, 120, 180, 240) == [True, True, True, False, False]
    assert _hits(db, key_of("secret", "test", "203.0.113.10"), 300) == [True]


def test_it_lets_the_previous_window_count_less_as_it_slides_away(db: Session) -> None:
    key = key_of("secret", "test", "198.51.100.7")
    assert _hits(db, key, 3000, 3100, 3200) == [True, True, True]
    # Just past the hour: most of the previous window still counts.
    assert _hits(db, key, 3600 + 60) == [False]
    # Near the end of the next hour little of it does.
    assert _hits(db, key, 2 * 3600 - 60) == [True]


def test_it_deletes_windows_no_one_can_ask_about_and_stores_no_address(db: Session) -> None:
    key = key_of("secret", "test", "192.0.2.1")
    _hits(db, key, 0, 4 * 3600)
    rows = db.scalars(select(RateLimitCounter).where(RateLimitCounter.scope == "test")).all()
    assert [r.window_start for r in rows] == [int((AT + timedelta(hours=4)).timestamp())]
    assert "192.0.2.1" not in rows[0].key_hash and len(rows[0].key_hash) == 64
    assert key != key_of("another secret", "test", "192.0.2.1")
