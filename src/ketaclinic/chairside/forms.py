"""Reading the chairside pages' forms into the API's bodies: a field the schema
refuses is named as the form names it."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import FormData

from ketaclinic.chairside.service.vitals import VALUES
from ketaclinic.kit import forms as kit_forms
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.kit.time import utcnow
from ketaclinic.ledger.witnesses import Credentials

# The reading's numbers as the form sends them (on oxygen is a checkbox of its own).
READING_FIELDS = tuple(name for name in VALUES if name != "on_oxygen")


def model(schema: type[BaseModel], data: dict[str, Any]) -> Any:
    """The schema from the form's data (kit.forms.parse), or a refusal naming the fields."""
    parsed, errors = kit_forms.parse(schema, data)
    if parsed is None:
        raise ValidationFailed("Please correct the highlighted fields.", errors)
    return parsed


def witness(form: FormData, prefix: str = "witness") -> list[Credentials]:
    email = kit_forms.text(form, f"{prefix}_email")
    if not email:
        return []
    return [
        Credentials(
            email, kit_forms.raw(form, f"{prefix}_password"), kit_forms.text(form, f"{prefix}_code")
        )
    ]


def int_or_none(form: FormData, name: str) -> int | str | None:
    text = kit_forms.text(form, name)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text  # the schema names the field


def reading(form: FormData) -> dict[str, Any]:
    """One manual reading: only what was typed (the form is never pre-filled)."""
    data: dict[str, Any] = {k: int_or_none(form, k) for k in READING_FIELDS}
    data["on_oxygen"] = kit_forms.checked(form, "on_oxygen")
    data["id"] = kit_forms.text(form, "reading_id") or uuid.uuid4().hex
    data["taken_at"] = utcnow().isoformat()
    return data


def decimal(form: FormData, name: str) -> Decimal | str | None:
    text = kit_forms.text(form, name)
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def given(form: FormData, *, stop: bool) -> dict[str, Any]:
    """The end (or early stop) of an administration: the amount given is what was
    typed, never assumed; an early end's reason and note."""
    body: dict[str, Any] = {
        "given_mg": decimal(form, "given_mg"),
        "early_reason": kit_forms.text(form, "early_reason") or None,
        "early_note": kit_forms.text(form, "early_note"),
    }
    if stop:
        body["reason"] = kit_forms.text(form, "reason")
        body["given_mg"] = body["given_mg"] if body["given_mg"] is not None else "0"
    return body
