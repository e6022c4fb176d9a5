"""One family of business errors, each with an HTTP status and a stable code.

API clients get ``{"error": {"code", "message", "fields"}}``; forms show the same
field messages beside the fields. Each domain names its refusals in its own
``errors.py``: one class per error, subclassing the family member whose status it
answers with, with its own ``code`` (unique across the app: ``tests/kit/test_errors.py``)
and, where the words never change, its ``default_message``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

from ketaclinic.kit.messages import error_summary, location_to_field, plain_message


class KetaClinicError(Exception):
    status_code = 400
    code = "bad_request"
    default_message = "The request was refused."
    # Raised only by pages no API operation reaches (the patient portal's sign-in):
    # left out of the API description's error codes.
    pages_only = False

    def __init__(self, message: str | None = None, fields: Mapping[str, str] | None = None) -> None:
        message = self.default_message if message is None else message
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class ValidationFailed(KetaClinicError):
    status_code = 422
    code = "validation_error"

    @classmethod
    def on(cls, field: str, message: str) -> Self:
        return cls(f"{field}: {message}", {field: message})


class FieldInvalid(ValidationFailed):
    """A 422 about one field: the subclass names the field (``field``) and what is wrong
    with it (``default_message``); a raise site may name another field or add detail."""

    code = "field_invalid"
    field = "request"
    default_message = "is invalid"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        name = self.field if field is None else field
        text = self.default_message if message is None else message
        super().__init__(f"{name}: {text}", {name: text})

    @classmethod
    def on(cls, field: str, message: str) -> Self:
        return cls(message, field=field)


class NotAuthenticated(KetaClinicError):
    status_code = 401
    code = "not_authenticated"
    default_message = "Sign in or send a valid API token."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)


class Forbidden(KetaClinicError):
    status_code = 403
    code = "forbidden"
    default_message = "Your role does not allow this here."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)


class NotFound(KetaClinicError):
    status_code = 404
    code = "not_found"


class InternalError(KetaClinicError):
    """Our fault, never the caller's: the message gives the request id to quote."""

    status_code = 500
    code = "internal_error"

    def __init__(self, request_id: str) -> None:
        super().__init__(
            "Something went wrong on our side and nothing was saved. If it happens again, "
            f"quote request id {request_id} to your administrator.",
        )
        self.request_id = request_id

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        body["error"]["request_id"] = self.request_id
        return body


class Conflict(KetaClinicError):
    status_code = 409
    code = "conflict"


class Busy(KetaClinicError):
    """The database stayed locked by other writers longer than we wait (SQLite's busy
    timeout): nothing was saved, and trying again in a moment will do."""

    status_code = 503
    code = "busy"

    def __init__(self) -> None:
        super().__init__("The clinic's database is busy; nothing was saved. Try again.")


def fields_from_pydantic(
    errors: Sequence[Mapping[str, Any]], labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Field name -> message in plain words (``kit.messages``): the one place pydantic's
    errors become what a form shows beside its fields and the API's ``fields``."""
    fields: dict[str, str] = {}
    for error in errors:
        name = location_to_field(error.get("loc", ()))
        fields.setdefault(name, plain_message(error, labels))
    return fields


def validation_from_pydantic(errors: Sequence[Mapping[str, Any]]) -> ValidationFailed:
    fields = fields_from_pydantic(errors)
    summary = "; ".join(sentence for _name, sentence in error_summary(fields))
    return ValidationFailed(f"Please correct: {summary}", fields)
