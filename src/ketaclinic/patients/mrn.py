"""Medical record numbers: ``KC`` + 7 random digits + a Luhn check digit, so a
mistyped digit is caught before it finds the wrong chart."""

from __future__ import annotations

import secrets

from ketaclinic.clinical.checkdigits import luhn_digit, luhn_valid


def new_mrn() -> str:
    body = f"{secrets.randbelow(9_000_000) + 1_000_000}"
    return f"KC{body}{luhn_digit(body)}"


def is_valid_mrn(mrn: str) -> bool:
    return len(mrn) == 10 and mrn.startswith("KC") and luhn_valid(mrn[2:])
