"""Building blocks shared by the chairside data files (alert rules, checklist,
vocabulary): frozen models, keys, text, and lists that may not be empty."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T", bound=Sequence[object])

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _non_empty(items: T) -> T:
    # Checked after the items, so a bad item is reported alone, not also as "too short".
    if not items:
        raise ValueError("needs at least one entry")
    return items


NonEmpty = AfterValidator(_non_empty)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
