"""HIPAA Safe Harbor de-identification rules (45 CFR 164.514(b)(2);
docs/clinical-references.md#privacy), pure: the 3-digit ZIP with the restricted areas as
"000", ages over 89 as "90+", a per-patient date offset from a keyed hash of a secret,
and years only.

Which of the 18 identifiers an export leaves out is the export's business (it releases
only the columns listed in its data dictionary); these are the rules for the few values
Safe Harbor lets through in a coarsened form."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta
from functools import cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.clinical import datafiles


class SafeHarborRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    restricted_zip3: frozenset[str] = Field(min_length=1)
    restricted_zip3_source: str
    oldest_shown_age: int = Field(ge=1, le=120)
    oldest_shown_age_source: str
    max_shift_days: int = Field(ge=1, le=3650)
    max_shift_days_source: str


@cache
def rules() -> SafeHarborRules:
    return datafiles.load_file(
        files("ketaclinic.clinical.privacy").joinpath("safe_harbor.yaml"), SafeHarborRules
    )


def zip3(postal_code: str | None, r: SafeHarborRules | None = None) -> str:
    """The first three digits of a US ZIP, "000" for a restricted area, "" if none."""
    r = r or rules()
    digits = "".join(ch for ch in (postal_code or "") if ch.isdigit())
    if len(digits) < 5:
        return ""
    prefix = digits[:3]
    return "000" if prefix in r.restricted_zip3 else prefix


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_group(birth: date, on: date, r: SafeHarborRules | None = None) -> str:
    """The age in whole years on ``on``, or "90+" above the oldest age shown."""
    r = r or rules()
    age = age_on(birth, on)
    return f"{r.oldest_shown_age + 1}+" if age > r.oldest_shown_age else str(age)


def birth_year(birth: date, on: date, r: SafeHarborRules | None = None) -> str:
    """The year of birth, withheld ("") when the age is grouped (it would tell the age)."""
    r = r or rules()
    return "" if age_on(birth, on) > r.oldest_shown_age else str(birth.year)


def date_offset(secret: bytes, key: str, r: SafeHarborRules | None = None) -> int:
    """Days (never 0) to shift every date of one patient: a keyed hash (HMAC-SHA256)
    of the secret and ``key`` (the patient), within +-``max_shift_days``. The same
    patient gets the same offset every time; without the secret it cannot be undone."""
    r = r or rules()
    digest = hmac.new(secret, key.encode(), hashlib.sha256).digest()
    span = 2 * r.max_shift_days
    value = int.from_bytes(digest[:8], "big") % span - r.max_shift_days
    return value if value < 0 else value + 1  # -max..-1, 1..max


def shift(value: date | datetime, days: int) -> date:
    """The shifted calendar date (times of day are not released)."""
    day = value.date() if isinstance(value, datetime) else value
    return day + timedelta(days=days)
