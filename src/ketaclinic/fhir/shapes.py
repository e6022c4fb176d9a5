"""Small building blocks every resource shares: references, instants, meta."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ketaclinic.clinical.fhir_codes import UCUM, Code
from ketaclinic.kit.time import as_utc


def instant(moment: datetime) -> str:
    """A FHIR instant: UTC with its zone, to the second. Every resource has two or
    three, so a bulk export spends real time here: a datetime read from the database
    already is in UTC (no conversion), and the seconds are cut from the ISO text."""
    if moment.tzinfo is not UTC:
        moment = as_utc(moment)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def day(value: date) -> str:
    return value.isoformat()


def meta(updated: datetime, *profiles: str) -> dict[str, Any]:
    found: dict[str, Any] = {"lastUpdated": instant(updated)}
    if profiles:
        found["profile"] = list(profiles)
    return found


def ref(resource_type: str, resource_id: int | str, display: str | None = None) -> dict[str, str]:
    found = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        found["display"] = display
    return found


def concept(code: Code, text: str | None = None) -> dict[str, Any]:
    return {"coding": [code.coding()], "text": text or code.display}


def quantity(value: Decimal | int | float, unit: str, display: str | None = None) -> dict[str, Any]:
    number: int | float = value if isinstance(value, int) else float(value)
    return {"value": number, "unit": display or unit, "system": UCUM, "code": unit}


def narrative(words: str) -> dict[str, str]:
    """Generated narrative: the words, escaped, in the one div FHIR allows."""
    escaped = words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{escaped}</div>',
    }


def split_name(full: str) -> dict[str, Any]:
    """A staff member's one name field as a HumanName (the last word the family)."""
    parts = full.split()
    name: dict[str, Any] = {"use": "official", "text": full, "family": parts[-1] if parts else full}
    if len(parts) > 1:
        name["given"] = parts[:-1]
    return name
