"""Medical record numbers: ``KC`` + 7 random digits + a Luhn check digit, so a
mistyped digit is caught before it finds the wrong chart."""

from __future__ import annotations

import secrets


def luhn_check_digit(digits: str) -> int:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def new_mrn() -> str:
    body = f"{secrets.randbelow(9_000_000) + 1_000_000}"
    return f"KC{body}{luhn_check_digit(body)}"


def is_valid_mrn(mrn: str) -> bool:
    if len(mrn) != 10 or not mrn.startswith("KC") or not mrn[2:].isdigit():
        return False
    return luhn_check_digit(mrn[2:9]) == int(mrn[9])
