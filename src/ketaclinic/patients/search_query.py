"""What the patient search box means: words match a name or MRN, a date in a format
the clinic's pages show filters the birth date, a phone number in any punctuation
matches the phone. Pure: no database, no web.

Dates: ISO (1984-03-21, as the chart and lists show it) and the US month-first
forms a US browser's date field shows (03/21/1984, 3/21/1984, 03-21-1984), with
the written month too (21 March 1984, March 21 1984, Mar 21, 1984). The clinics are
in the US, so 03/04/1984 is the 4th of March.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

MIN_PHONE_DIGITS = 7
MAX_WORDS = 6

_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_US = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE)
# A run of digits with the punctuation and spaces phone numbers are written with.
_PHONE = re.compile(r"(?<!\w)\+?\(?\d[\d\s().-]*\d(?!\w)")


@dataclass(frozen=True)
class SearchQuery:
    terms: list[str] = field(default_factory=list)
    birth_date: date | None = None
    phone_digits: list[str] = field(default_factory=list)


def _month(name: str) -> int:
    return next(i for i, m in enumerate(_MONTHS, 1) if m.startswith(name.lower()[:3]))


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def read_date(text: str) -> date | None:
    """The date ``text`` is, in one of the accepted forms, or None."""
    found = find_date(text.strip())
    return found[0] if found and found[1] == (0, len(text.strip())) else None


def find_date(text: str) -> tuple[date, tuple[int, int]] | None:
    """The first date in ``text`` and where it is."""
    for pattern, order in (
        (_ISO, "ymd"),
        (_US, "mdy"),
        (_DAY_MONTH_YEAR, "dMy"),
        (_MONTH_DAY_YEAR, "Mdy"),
    ):
        match = pattern.search(text)
        if match is None:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        month = int(parts["m"]) if "m" in parts else _month(parts["M"])
        day = int(parts["d"])
        found = _valid(int(parts["y"]), month, day)
        if found is not None:
            return found, match.span()
    return None


def parse(q: str | None) -> SearchQuery:
    """Split the search box into name/MRN words, a birth date and phone digits."""
    text = (q or "")[:200]
    birth: date | None = None
    found = find_date(text)
    if found is not None:
        birth, (start, end) = found
        text = f"{text[:start]} {text[end:]}"
    phones: list[str] = []
    rest: list[str] = []
    position = 0
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= MIN_PHONE_DIGITS:
            phones.append(digits[-15:])
            rest.append(text[position : match.start()])
            position = match.end()
    rest.append(text[position:])
    words = " ".join(rest).split()[:MAX_WORDS]
    return SearchQuery(terms=[w[:60] for w in words], birth_date=birth, phone_digits=phones[:2])
