"""Which administration codes an infusion's charted time earns. Pure.

The time is what the chart says the drug ran (start, pauses, resumes, end: the
chairside infusion clock), never the plan's duration. CPT (codes.yaml ``timing``;
docs/clinical-references.md#billing-codes): 15 minutes or less is an IV push
(96374); more is 96365 for the first hour; each further hour is one 96366, and a
final part-hour counts only when it runs more than 30 minutes beyond the hour before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from ketaclinic.clinical.billing.codes import Timing, code_book
from ketaclinic.clinical.chairside.administration import infused_minutes


def charted_minutes(
    started_at: datetime | None, steps: Sequence[tuple[str, datetime]], ended_at: datetime
) -> Decimal:
    """Minutes the drug ran from ``started_at`` to ``ended_at`` through the charted
    ``steps`` (action, when); paused time does not count."""
    return infused_minutes(started_at, steps, ended_at)


def additional_hours(minutes: Decimal, timing: Timing | None = None) -> int:
    """Units of 96366 for an infusion of ``minutes``: each full hour after the first,
    plus a last part-hour only when it runs more than the part-hour minimum."""
    t = timing or code_book().timing
    beyond = minutes - t.first_hour_min
    if beyond <= 0:
        return 0
    full, part = divmod(beyond, t.additional_hour_min)
    return int(full) + (1 if part > t.additional_part_over_min else 0)


def iv_codes(minutes: Decimal, timing: Timing | None = None) -> list[tuple[str, int]]:
    """(code, units) an IV administration of ``minutes`` earns; nothing when no drug ran."""
    t = timing or code_book().timing
    if minutes <= 0:
        return []
    if minutes <= t.push_max_min:
        return [("96374", 1)]
    extra = additional_hours(minutes, t)
    return [("96365", 1)] + ([("96366", extra)] if extra else [])
