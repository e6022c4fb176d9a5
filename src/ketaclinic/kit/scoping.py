"""The one helper that limits a query to the clinics a user may see.

Every repository query over patient data goes through ``in_clinics``; an empty
list of clinics matches nothing (never everything).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, false
from sqlalchemy.orm import InstrumentedAttribute

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def in_clinics(stmt: S, clinic_column: InstrumentedAttribute[int], clinic_ids: Sequence[int]) -> S:
    if not clinic_ids:
        return stmt.where(false())
    if len(clinic_ids) == 1:
        # Most staff work in one clinic: a plain comparison is compiled once and
        # cached, where IN (...) re-renders its expanding parameter on every query.
        return stmt.where(clinic_column == clinic_ids[0])
    return stmt.where(clinic_column.in_(list(clinic_ids)))
