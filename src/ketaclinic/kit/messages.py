"""Error messages in a clinician's words: pydantic's error types turned into plain
sentences naming the field ("Enter a number for Counted (mg)"), and error summaries
that say which field each message is about. Every form and the API use these, so a
message is worded in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Units as field-name suffixes (weight_kg), as a label shows them: Weight (kg).
_UNITS = (
    ("_mg_per_ml", "mg/mL"),
    ("_mg_per_kg", "mg/kg"),
    ("_ml_per_h", "mL/h"),
    ("_kg", "kg"),
    ("_cm", "cm"),
    ("_mg", "mg"),
    ("_ml", "mL"),
    ("_ug", "µg"),
    ("_min", "min"),
    ("_lb", "lb"),
)
# Generic last parts that need their owner to be clear: witnesses.0.email.
_GENERIC = {"email", "password", "code", "name", "phone", "label", "value"}


def field_label(name: str, labels: Mapping[str, str] | None = None) -> str:
    """A form or API field's name as words: ``weight_kg`` -> "Weight (kg)",
    ``lines.0.counted_mg`` -> "Counted (mg)", ``container_id`` -> "Container"."""
    if labels and name in labels:
        return labels[name]
    parts = [p for p in name.split(".") if p and not p.isdigit()]
    if not parts:
        return "This field"
    last = parts[-1]
    if last in _GENERIC and len(parts) > 1:
        owner = parts[-2].removesuffix("s") if parts[-2].endswith("es") else parts[-2]
        last = f"{owner}_{last}"
    unit = ""
    for suffix, shown in _UNITS:
        if last.endswith(suffix) and len(last) > len(suffix):
            last, unit = last.removesuffix(suffix), f" ({shown})"
            break
    last = last.removesuffix("_id") if last.endswith("_id") and last != "_id" else last
    words = last.replace("_", " ").replace("-", " ").strip() or name
    return words[:1].upper() + words[1:] + unit


_NUMBER_TYPES = {"decimal_type", "decimal_parsing", "float_type", "float_parsing", "finite_number"}
_WHOLE_TYPES = {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}


def plain_message(error: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """One pydantic error in plain words. A message our own validators wrote ("must be
    between 2 and 400") is kept: it is shown beside its field, and summaries name the
    field before it."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    label = field_label(location_to_field(error.get("loc", ())), labels)
    empty = error.get("input") in (None, "")
    if kind == "missing" or (empty and (kind in _NUMBER_TYPES | _WHOLE_TYPES)):
        if kind in _NUMBER_TYPES:
            return f"Enter a number for {label}"
        if kind in _WHOLE_TYPES:
            return f"Enter a whole number for {label}"
        return "is required"
    simple = {
        "bool_type": f"Choose yes or no for {label}",
        "bool_parsing": f"Choose yes or no for {label}",
        "date_type": f"Enter a date for {label}",
        "date_parsing": f"Enter a date for {label}",
        "date_from_datetime_parsing": f"Enter a date for {label}",
        "date_from_datetime_inexact": f"Enter a date for {label}, without a time",
        "datetime_type": f"Enter a date and time for {label}",
        "datetime_parsing": f"Enter a date and time for {label}",
        "datetime_from_date_parsing": f"Enter a date and time for {label}",
        "time_type": f"Enter a time for {label}",
        "time_parsing": f"Enter a time for {label}",
        "literal_error": f"Choose {_options(ctx)} for {label}",
        "enum": f"Choose {_options(ctx)} for {label}",
        "string_type": f"Enter text for {label}",
        "string_pattern_mismatch": f"{label} is not written in the expected form",
        "extra_forbidden": "is not a known field",
        "multiple_of": f"{label} must be a multiple of {ctx.get('multiple_of')}",
        "decimal_max_places": f"{label} takes at most {ctx.get('decimal_places')} decimals",
        "decimal_max_digits": f"{label} has too many digits",
        "decimal_whole_digits": f"{label} has too many digits before the point",
        "greater_than": f"{label} must be more than {ctx.get('gt')}",
        "greater_than_equal": f"{label} must be at least {ctx.get('ge')}",
        "less_than": f"{label} must be less than {ctx.get('lt')}",
        "less_than_equal": f"{label} must be at most {ctx.get('le')}",
        "list_type": f"{label} is not in the expected form",
        "dict_type": f"{label} is not in the expected form",
        "model_type": f"{label} is not in the expected form",
        "model_attributes_type": f"{label} is not in the expected form",
        "json_invalid": "The request is not valid JSON",
        "uuid_parsing": f"{label} is not in the expected form",
        "url_parsing": f"Enter a web address for {label}",
    }
    if kind in _NUMBER_TYPES:
        return f"Enter a number for {label}"
    if kind in _WHOLE_TYPES:
        return f"Enter a whole number for {label}"
    if kind in simple:
        return simple[kind]
    if kind in ("string_too_short", "too_short"):
        least = ctx.get("min_length", 1)
        if least in (None, 1) and kind == "string_too_short":
            return "is required"
        unit = "characters" if kind == "string_too_short" else "entries"
        return f"{label} needs at least {least} {unit}"
    if kind in ("string_too_long", "too_long"):
        unit = "characters" if kind == "string_too_long" else "entries"
        return f"{label} takes at most {ctx.get('max_length')} {unit}"
    message = str(error.get("msg", "is invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if message.startswith("value is not a valid email address"):
        return "is not a valid email address"
    return message


def location_to_field(loc: Sequence[Any]) -> str:
    """The field an error is about: the transport part ("body", "query", ...) dropped
    and the rest joined: address.city."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "request"


def _options(ctx: Mapping[str, Any]) -> str:
    """pydantic's "'female', 'male' or 'unknown'" as words: female, male or unknown."""
    expected = str(ctx.get("expected", "")).replace("'", "").replace("_", " ")
    return expected or "one of the options"


_PREDICATES = ("is ", "are ", "must ", "does ", "do ", "has ", "needs ", "takes ")


def error_sentence(name: str, message: str, labels: Mapping[str, str] | None = None) -> str:
    """A field's message as a sentence that names the field, for an error summary:
    "is required" -> "First name is required"; a sentence that already names it is
    kept as it is."""
    if name in ("request", "__root__", ""):
        return message
    label = field_label(name, labels)
    if message[:1].isupper():
        return message
    if message.startswith(_PREDICATES):
        return f"{label} {message}"
    return f"{label}: {message}"


def error_summary(
    errors: Mapping[str, str], labels: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """(field name, sentence naming the field) for every message, the form-wide ones
    first."""
    general = [(k, m) for k, m in errors.items() if k in ("request", "__root__")]
    fields = [(k, error_sentence(k, m, labels)) for k, m in errors.items() if (k, m) not in general]
    return general + fields
