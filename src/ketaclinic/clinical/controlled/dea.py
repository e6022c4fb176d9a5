"""DEA registration numbers, checked as typed. Pure.

source: the DEA's published format (two letters, then seven digits whose last is a
check digit: the sum of digits 1, 3 and 5 plus twice the sum of digits 2, 4 and 6
ends in the check digit). docs/clinical-references.md requires the supplier's DEA number on every
receipt (21 CFR 1304); a mistyped one is caught here, not at inspection.
"""

from __future__ import annotations

import re

_FORMAT = re.compile(r"^[A-Z][A-Z9][0-9]{7}$")


def dea_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid DEA number, or None when it is."""
    number = value.strip().upper()
    if not _FORMAT.match(number):
        return "a DEA number is two letters and seven digits, e.g. AB1234563"
    digits = [int(d) for d in number[2:]]
    total = digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])
    if total % 10 != digits[6]:
        return "the check digit does not match: look again at the number"
    return None
