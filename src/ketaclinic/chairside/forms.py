"""Reading the chairside pages' forms into the API's bodies: a field the schema
refuses is named as the form names it."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from ketaclinic.chairside.service.vitals import VALUES
from ketaclinic.kit.errors import ValidationFailed, fields_from_pydantic
from ketaclinic.kit.time import utcnow
from ketaclinic.kit.web import form_text
from ketaclinic.ledger.witnesses import Credentials

# The reading's numbers as the form sends them (on oxygen is a checkbox of its own).
READING_FIELDS = tuple(name for name in VALUES if name != "on_oxygen")


def model(schema: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            "Please correct the highlighted fields.", fields_from_pydantic(exc.errors())
        ) from None


def witness(form: FormData, prefix: str = "witness") -> list[Credentials]:
    email = form_text(form, f"{prefix}_email").strip()
    if not email:
        return []
    return [
        Credentials(
            email, form_text(form, f"{prefix}_password"), form_text(form, f"{prefix}_code").strip()
        )
    ]


def int_or_none(form: FormData, name: str) -> int | str | None:
    text = form_text(form, name).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text  # the schema names the field


def reading(form: FormData) -> dict[str, Any]:
    """One manual reading: only what was typed (the form is never pre-filled)."""
    data: dict[str, Any] = {k: int_or_none(form, k) for k in READING_FIELDS}
    data["on_oxygen"] = form_text(form, "on_oxygen") == "on"
    data["id"] = form_text(form, "reading_id") or uuid.uuid4().hex
    data["taken_at"] = utcnow().isoformat()
    return data


def decimal(form: FormData, name: str) -> Decimal | str | None:
    text = form_text(form, name).strip()
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
        "early_reason": form_text(form, "early_reason") or None,
        "early_note": form_text(form, "early_note"),
    }
    if stop:
        body["reason"] = form_text(form, "reason")
        body["given_mg"] = body["given_mg"] if body["given_mg"] is not None else "0"
    return body
