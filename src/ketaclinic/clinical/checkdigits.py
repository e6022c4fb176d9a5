"""Check digits for identifiers people type. Pure.

The Luhn (mod 10) check digit (ISO/IEC 7812-1, annex B), used by the NPI (over the
prefix 80840 and its first nine digits; docs/clinical-references.md#billing-codes)
and by our medical record numbers: it catches any single mistyped digit and most
swaps of two adjacent digits.
"""

from __future__ import annotations


def luhn_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits`` (decimal digits only)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # every second digit from the right, counting the one to append
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def luhn_valid(digits: str) -> bool:
    """Whether the last digit of ``digits`` is the Luhn check digit of the others."""
    return len(digits) > 1 and digits.isdigit() and luhn_digit(digits[:-1]) == int(digits[-1])
