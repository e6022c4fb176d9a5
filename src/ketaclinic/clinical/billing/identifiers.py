"""Provider identifiers on a claim. Pure.

NPI: 10 digits, the last a Luhn check digit computed over the prefix 80840 and the
first nine (CMS, "Requirements for NPI check digit";
docs/clinical-references.md#billing-codes). TIN: the clinic's employer
identification number, nine digits, written 12-3456789.
"""

from __future__ import annotations

import re

from ketaclinic.clinical.checkdigits import luhn_valid

NPI_PREFIX = "80840"
_EIN_PREFIXES_UNUSED = frozenset(
    {
        "00",
        "07",
        "08",
        "09",
        "17",
        "18",
        "19",
        "28",
        "29",
        "49",
        "69",
        "70",
        "78",
        "79",
        "89",
        "96",
        "97",
    }
)


def npi_problem(npi: str) -> str | None:
    """Why ``npi`` is not a valid NPI; ``None`` when it is."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return "an NPI is 10 digits"
    if npi[0] not in "12":
        return "an NPI starts with 1 or 2"
    if not luhn_valid(NPI_PREFIX + npi):
        return "the NPI's check digit does not match"
    return None


def normalise_tin(tin: str) -> str:
    """Digits only, written 12-3456789."""
    digits = re.sub(r"[\s-]", "", tin)
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 9 else tin.strip()


def tin_problem(tin: str) -> str | None:
    """Why ``tin`` is not an employer identification number; ``None`` when it is."""
    digits = re.sub(r"[\s-]", "", tin)
    if not re.fullmatch(r"[0-9]{9}", digits):
        return "a TIN (EIN) is 9 digits, written 12-3456789"
    if digits[:2] in _EIN_PREFIXES_UNUSED:
        return f"no EIN starts with {digits[:2]}"
    return None
