"""Reusable validated field types; each error message names the allowed range."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from ketaclinic.kit.time import latest_date_on_earth

ICD10_RE = re.compile(r"^[A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?$")
DEFAULT_PHONE_REGION = "US"


def _decimal_between(low: Decimal, high: Decimal, places: int) -> Any:
    def check(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise ValueError(f"must be a number between {low} and {high}")
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValueError(f"must be a number between {low} and {high}") from None
        if not number.is_finite() or not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number.quantize(Decimal(1).scaleb(-places))

    return BeforeValidator(check)


def _text(max_length: int, *, required: bool = True) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        text = " ".join(value.split())
        if required and not text:
            raise ValueError("is required")
        if len(text) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return text

    return BeforeValidator(check)


def _past_date(value: Any) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("must be a date like 1984-03-21") from None
    if not isinstance(value, date):
        raise ValueError("must be a date like 1984-03-21")
    today = latest_date_on_earth()
    if value > today:
        raise ValueError("must not be in the future")
    if value.year < today.year - 130:
        raise ValueError("must be within the last 130 years")
    return value


def _email(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be an email address")
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address ({exc})") from None


def _phone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a phone number")
    try:
        parsed = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number (e.g. +1 512 555 0147)") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("is not a valid phone number (e.g. +1 512 555 0147)")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def _icd10(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be an ICD-10-CM code like F33.2")
    code = value.strip().upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    if not ICD10_RE.match(code):
        raise ValueError("must be an ICD-10-CM code like F33.2")
    return code


# Every id a client sends (path, query or body) is one of these: the range of the
# narrowest id column (INTEGER on PostgreSQL). Out of range in a path: 404; in a
# query or a body: 422 naming the field (app.py). Never a database overflow.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=False)]


def in_id_range(value: object) -> int | None:
    """``value`` as an id when it is one (a digit string or int in range), else None."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 10:  # "²".isdigit() too
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def _clinic_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("must be a time of day at the clinic, without an offset (e.g. 12:00)")
    return value


def _no_number_time(value: Any) -> Any:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise ValueError("must be a time of day like 08:30")
    return value


def _number_between(low: int, high: int) -> WithJsonSchema:
    """What a client should send for a ``_decimal_between`` field (the server also
    reads a numeric string): the JSON schema of requests only, answers keep theirs."""
    return WithJsonSchema({"type": "number", "minimum": low, "maximum": high}, mode="validation")


# What JSON Schema's "time" format would promise (an offset, seconds) is not what a
# clinic time is: the wall clock's HH:MM[:SS[.ffffff]], no offset.
CLINIC_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"

# A time of day on the clinic's wall: an offset means nothing without a date (DST).
ClinicTime = Annotated[
    time,
    BeforeValidator(_no_number_time),
    AfterValidator(_clinic_time),
    WithJsonSchema({"type": "string", "pattern": CLINIC_TIME_PATTERN, "examples": ["08:30"]}),
]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")]

WeightKg = Annotated[
    Decimal, _decimal_between(Decimal(2), Decimal(400), 1), _number_between(2, 400)
]
HeightCm = Annotated[
    Decimal, _decimal_between(Decimal(40), Decimal(250), 1), _number_between(40, 250)
]
PastDate = Annotated[
    date,
    BeforeValidator(_past_date),
    Field(description="Not in the future, nor more than 130 years ago"),
]
Email = Annotated[str, BeforeValidator(_email), Field(max_length=254)]
Phone = Annotated[str, BeforeValidator(_phone)]
Icd10Code = Annotated[str, BeforeValidator(_icd10), Field(description="ICD-10-CM, e.g. F33.2")]
# The schema's lengths are the ones _text enforces (on the text with its runs of
# white space made one space); control characters are refused before (kit.limits).
# Some text besides white space, and no control characters (kit.limits).
_TEXT = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
NOT_BLANK = rf"^{_TEXT}*[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f]{_TEXT}*$"
Name = Annotated[str, _text(100), Field(min_length=1, max_length=100, pattern=NOT_BLANK)]
ShortText = Annotated[str, _text(200), Field(min_length=1, max_length=200, pattern=NOT_BLANK)]
OptionalText = Annotated[str, _text(200, required=False), Field(max_length=200)]

# Every decimal the API answers is a JSON number (never a string): exact to the
# places each field keeps (at most 15 significant digits), the Decimal inside Python.
Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


def _numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers(v) for v in value]
    return value


# An answer without a schema of its own (a protocol, a reading): its decimals too.
Record = Annotated[dict[str, Any], PlainSerializer(_numbers, when_used="json")]


# A JSON number is never a date, a time or a yes/no: pydantic's lax mode would read
# 0 as 1970-01-01 and 0 as false. Refused on both channels (forms send text: "on",
# "true", "2026-03-21"), so what the API accepts is what its description says.
NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _not_a_number(kind: str, example: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, int | float | Decimal) or (
            isinstance(value, str) and NUMBER_TEXT.match(value)
        ):
            raise ValueError(f"must be {kind} like {example}")
        return value

    return BeforeValidator(check)


def _not_a_number_flag(value: Any) -> Any:
    if not isinstance(value, bool) and isinstance(value, int | float | Decimal):
        raise ValueError("must be true or false")
    return value


IsoDate = Annotated[date, _not_a_number("a date", "2026-03-21")]
IsoDateTime = Annotated[datetime, _not_a_number("a date and time", "2026-03-21T09:30:00Z")]
IsoAwareDateTime = Annotated[
    AwareDatetime, _not_a_number("a date and time with its offset", "2026-03-21T09:30:00Z")
]
Bool = Annotated[bool, BeforeValidator(_not_a_number_flag)]
