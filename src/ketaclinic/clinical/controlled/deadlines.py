"""Deadlines after a theft or significant loss of a controlled substance. Pure.

source: docs/clinical-references.md#controlled-substances - written notice to the DEA within 1
business day of discovery, DEA Form 106 within 45 days (21 CFR 1301.76(b)).
Business days skip Saturdays and Sundays; federal holidays are a clinic calendar
matter and are passed in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

NOTICE_BUSINESS_DAYS = 1
FORM_106_DAYS = 45


@dataclass(frozen=True)
class LossDeadlines:
    notice_due: date
    form_106_due: date


def add_business_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """``days`` business days after ``start`` (weekends and ``holidays`` skipped)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    left = days
    while left:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current


def loss_deadlines(discovered: date, holidays: Collection[date] = ()) -> LossDeadlines:
    return LossDeadlines(
        notice_due=add_business_days(discovered, NOTICE_BUSINESS_DAYS, holidays),
        form_106_due=discovered + timedelta(days=FORM_106_DAYS),
    )
