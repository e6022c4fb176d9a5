"""The pre-infusion checklist as data (``checklist.yaml``). Pure.

Each item is checked by the system (``auto``: from vitals, screening, weight,
questionnaires) or ticked by staff (``manual``). Blocking items must pass before
the dose is released; which items apply depends on the patient and protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from pydantic import model_validator

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.chairside._models import Frozen, Key, NonEmpty, Text

Result = Literal["pass", "fail", "na"]
Applies = Literal["always", "rems", "pregnancy_possible", "weight_based"]
# Ask for a pregnancy test up to this age (practice; not in the clinical references, which
# lists pregnancy as a contraindication - a clinic setting).
PREGNANCY_MAX_AGE = 55
PREGNANCY_MIN_AGE = 12  # (practice)


class ChecklistError(datafiles.DataFileError):
    code = "checklist_invalid"


class ChecklistItem(Frozen):
    key: Key
    label: Text
    help: str = ""
    kind: Literal["auto", "manual"]
    blocking: bool
    applies: Applies = "always"
    source: Text


class Checklist(Frozen):
    items: Annotated[tuple[ChecklistItem, ...], NonEmpty]

    @model_validator(mode="after")
    def _unique_keys(self) -> Checklist:
        keys = [item.key for item in self.items]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"repeated keys: {', '.join(repeated)}")
        return self


def load_checklist(path: Path | None = None) -> tuple[ChecklistItem, ...]:
    """The items in ``path`` (default: the packaged ``checklist.yaml``), in order."""
    if path is None:
        return _packaged()
    text = path.read_text(encoding="utf-8")
    return datafiles.parse(text, path.name, Checklist, ChecklistError).items


@lru_cache(maxsize=1)
def _packaged() -> tuple[ChecklistItem, ...]:
    resource = files("ketaclinic.clinical.chairside") / "checklist.yaml"
    text = resource.read_text(encoding="utf-8")
    return datafiles.parse(text, resource.name, Checklist, ChecklistError).items


def items_for(
    items: Sequence[ChecklistItem], *, rems: bool, pregnancy_possible: bool, weight_based: bool
) -> tuple[ChecklistItem, ...]:
    """The items that apply to this patient and protocol, in order."""
    applies = {
        "always": True,
        "rems": rems,
        "pregnancy_possible": pregnancy_possible,
        "weight_based": weight_based,
    }
    return tuple(item for item in items if applies[item.applies])


def pregnancy_possible(
    sex_at_birth: str | None, age_years: int, *, max_age: int = PREGNANCY_MAX_AGE
) -> bool:
    """Whether to ask for a pregnancy test: anyone not recorded as male at birth
    (female, intersex, unknown - we ask rather than assume), aged 12 to ``max_age``
    (practice)."""
    return sex_at_birth != "male" and PREGNANCY_MIN_AGE <= age_years <= max_age


def blocking_open(
    items: Sequence[ChecklistItem], results: Mapping[str, Result]
) -> list[ChecklistItem]:
    """Blocking items not yet passed (a missing result is open, so is "na")."""
    return [item for item in items if item.blocking and results.get(item.key) != "pass"]
