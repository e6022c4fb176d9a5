"""The one way a staff page reads a form: posted text → a schema → field messages.

A page handler collects the posted values (``values``), validates them with the same
Pydantic schema the API uses (``parse``) and, when that is refused, re-renders the form
with the messages beside the fields. A business refusal the page can explain becomes
field messages too (``field_errors``); anything else goes to the app's error handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from ketaclinic.kit.errors import KetaClinicError, fields_from_pydantic

CSRF_FIELD = "csrf_token"

M = TypeVar("M", bound=BaseModel)


def text(form: FormData, name: str) -> str:
    """A posted text field, stripped ("" when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def raw(form: FormData, name: str) -> str:
    """A posted field exactly as typed (a password): not stripped ("" when absent)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def checked(form: FormData, name: str) -> bool:
    """Whether a checkbox was ticked (posted as "on", "true" or "1")."""
    return text(form, name) in ("on", "true", "1")


def values(form: FormData, names: Iterable[str] | None = None) -> dict[str, str]:
    """The posted text fields, stripped: the given names (each present, "" when not
    posted) or every field but the CSRF token."""
    if names is None:
        names = [key for key in form if key != CSRF_FIELD]
    return {name: text(form, name) for name in names}


def given(data: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields that were filled in, so an empty one is "missing", not invalid."""
    return {key: value for key, value in data.items() if value not in ("", None, [])}


def parse(model: type[M], data: Mapping[str, Any]) -> tuple[M | None, dict[str, str]]:
    """The schema from the form's data, or ``None`` and the message per field."""
    try:
        return model.model_validate(dict(data)), {}
    except ValidationError as exc:
        return None, fields_from_pydantic(exc.errors())


def field_errors(exc: KetaClinicError) -> dict[str, str]:
    """The field messages of a refusal, to show beside the fields; a refusal without
    any is not the form's to show and is raised again."""
    if not exc.fields:
        raise exc
    return dict(exc.fields)
