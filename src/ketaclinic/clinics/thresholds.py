"""The clinical thresholds a clinic may set, what each means, where its default comes
from and which values are accepted. Pure: no database (``clinics.settings`` stores them).

Every default is the environment's (``settings.Settings``, itself citing
docs/clinical-references.md); a clinic's own value replaces it for that clinic only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from ketaclinic.clinical.scales import load_instruments
from ketaclinic.clinical.scales.model import (
    Instrument,
    ItemAboveFlag,
    ItemAtLeastFlag,
    TotalAtLeastFlag,
)
from ketaclinic.clinical.treatment.model import Thresholds

REFERENCES = "docs/clinical-references.md"

Value = int | Decimal


@dataclass(frozen=True)
class Spec:
    """One setting: ``key`` is stored; ``low``..``high`` is the accepted range
    (``low_open``: ``low`` itself is refused); ``anchor`` names the section of the
    clinical references its default rests on, ``section`` that section's title."""

    key: str
    label: str
    decimal: bool
    low: Decimal
    high: Decimal
    unit: str
    anchor: str
    section: str
    group: str
    low_open: bool = False
    high_open: bool = False

    @property
    def reference(self) -> str:
        return f"{REFERENCES}#{self.anchor}"

    @property
    def range_text(self) -> str:
        low = ("above " if self.low_open else "") + _plain(self.low)
        high = ("below " if self.high_open else "") + _plain(self.high)
        return f"{low} to {high}"


class SettingError(ValueError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _int_spec(
    key: str, label: str, low: int, high: int, unit: str, anchor: str, section: str, group: str
) -> Spec:
    return Spec(key, label, False, Decimal(low), Decimal(high), unit, anchor, section, group)


OUTCOMES = "Outcome rules"
CHAIRSIDE = "Chairside and discharge"
TREATMENT = "Screening and dosing"
VITALS = "Vital-sign alerts"
SCALES = "Questionnaire flags"
COURSE = "Course and boosters"

SCALARS: tuple[Spec, ...] = (
    _int_spec(
        "aldrete_min_score",
        "Lowest modified Aldrete score for discharge",
        7,
        10,
        "points",
        "discharge",
        "Discharge",
        CHAIRSIDE,
    ),
    _int_spec(
        "repeat_reading_window_min",
        "A manual reading identical to one this recent asks to be confirmed",
        0,
        30,
        "minutes",
        "monitoring",
        "Monitoring",
        CHAIRSIDE,
    ),
    Spec(
        "early_end_fraction",
        "An administration ended before this fraction of its planned time is an early stop",
        True,
        Decimal(0),
        Decimal(1),
        "of the planned time",
        "monitoring",
        "Monitoring",
        CHAIRSIDE,
        low_open=True,
    ),
    _int_spec(
        "pregnancy_test_max_age",
        "Ask for a pregnancy test up to this age (female at birth)",
        40,
        65,
        "years",
        "contraindications",
        "Contraindications",
        CHAIRSIDE,
    ),
    _int_spec(
        "screening_valid_days",
        "A signed screening clears treatment for",
        1,
        730,
        "days",
        "contraindications",
        "Contraindications",
        TREATMENT,
    ),
    _int_spec(
        "weight_max_age_days",
        "A weight older than this is re-measured before dosing",
        1,
        365,
        "days",
        "weight-basis",
        "Weight basis",
        TREATMENT,
    ),
    Spec(
        "dose_rounding_tolerance_pct",
        "Rounding may move the delivered dose at most",
        True,
        Decimal(0),
        Decimal(10),
        "% of the ordered dose",
        "dose-rounding",
        "Dose rounding",
        TREATMENT,
        low_open=True,
    ),
    Spec(
        "response_fall_fraction",
        "Response: a fall from baseline of at least",
        True,
        Decimal(0),
        Decimal(1),
        "(fraction of the baseline score)",
        "outcomes",
        "Outcomes",
        OUTCOMES,
        low_open=True,
        high_open=True,
    ),
    _int_spec(
        "pcl5_fall_points",
        "PCL-5 response: a fall of at least",
        1,
        80,
        "points",
        "outcomes",
        "Outcomes",
        OUTCOMES,
    ),
    _int_spec(
        "relapse_consecutive",
        "Relapse: response lost on this many scores in a row",
        1,
        20,
        "scores",
        "outcomes",
        "Outcomes",
        OUTCOMES,
    ),
    _int_spec(
        "futility_after_treatments",
        "Futility: no response after this many treatments",
        1,
        50,
        "treatments",
        "dosing",
        "Dosing",
        OUTCOMES,
    ),
)

COURSE_SPECS: tuple[Spec, ...] = (
    _int_spec(
        "induction_min_sessions",
        "Induction completed: at least",
        1,
        20,
        "treatments",
        "outcomes-reference",
        "Outcomes reference",
        COURSE,
    ),
    _int_spec(
        "induction_max_sessions",
        "Induction: at most",
        1,
        30,
        "treatments",
        "outcomes-reference",
        "Outcomes reference",
        COURSE,
    ),
    _int_spec(
        "induction_min_days",
        "Induction completed: spanning at least",
        1,
        90,
        "days",
        "outcomes-reference",
        "Outcomes reference",
        COURSE,
    ),
    _int_spec(
        "induction_max_days",
        "Induction: treatments within the first",
        1,
        90,
        "days",
        "outcomes-reference",
        "Outcomes reference",
        COURSE,
    ),
    _int_spec(
        "outcome_window_from_day",
        "End-of-induction measure: taken from day",
        0,
        180,
        "after the first treatment",
        "outcomes-reference",
        "Outcomes reference",
        COURSE,
    ),
    _int_spec(
        "outcome_window_to_day",
        "End-of-induction measure: taken up to day",
        0,
        180,
        "after the first treatment",
        "outcomes-reference",
        "Outcomes reference",
        COURSE,
    ),
    Spec(
        "booster_within_fraction",
        "Booster suggested: a responder's score back within",
        True,
        Decimal(0),
        Decimal(1),
        "(fraction of the baseline score)",
        "boosters",
        "Boosters",
        COURSE,
        low_open=True,
        high_open=True,
    ),
    _int_spec(
        "booster_consecutive",
        "Booster suggested: near baseline on this many measures in a row",
        1,
        10,
        "measures",
        "boosters",
        "Boosters",
        COURSE,
    ),
)
MESSAGES = "Patient messages"

# Quiet hours, reminders and the next-morning check-in (issue 21): practice
# (docs/clinical-references.md#patient-messages).
MESSAGE_SPECS: tuple[Spec, ...] = tuple(
    _int_spec(key, label, low, high, unit, "patient-messages", "Patient messages", MESSAGES)
    for key, label, low, high, unit in (
        ("quiet_end_morning_hour", "Messages are sent from", 0, 12, "o'clock (clinic time)"),
        ("quiet_start_evening_hour", "Messages are sent until", 13, 24, "o'clock (clinic time)"),
        ("reminder_first_hours", "First visit reminder", 1, 336, "hours before the visit"),
        ("reminder_second_hours", "Second visit reminder", 1, 336, "hours before the visit"),
        ("checkin_hour", "Next-morning check-in at", 6, 12, "o'clock (clinic time)"),
    )
)
SCALARS = (
    SCALARS
    + COURSE_SPECS
    + MESSAGE_SPECS
    + (
        _int_spec(
            "rems_digest_days",
            "Staff digest: REMS monitoring forms due within",
            0,
            7,
            "days (and the overdue)",
            "rems",
            "REMS",
            MESSAGES,
        ),
    )
)

PORTAL = "Patient portal"
PORTAL_SPECS: tuple[Spec, ...] = (
    _int_spec(
        "portal_cancel_notice_hours",
        "Patients may cancel in the portal up to this long before a visit (practice); "
        "later, the front desk gets a request",
        0,
        168,
        "hours",
        "patient-portal",
        "Patient portal",
        PORTAL,
    ),
    _int_spec(
        "portal_show_scores",
        "Patients see their own questionnaire scores in the portal (1 yes, 0 no; practice)",
        0,
        1,
        "",
        "patient-portal",
        "Patient portal",
        PORTAL,
    ),
)
# What the patient is asked to do before a visit (issue 21).
PATIENT_SPECS: tuple[Spec, ...] = (
    _int_spec(
        "questionnaire_open_hours",
        "A questionnaire the plan assigns opens before its visit",
        1,
        24 * 14,
        "hours",
        "assigned-questionnaires",
        "Assigned questionnaires",
        PORTAL,
    ),
)
SCALARS = SCALARS + PORTAL_SPECS + PATIENT_SPECS

VITAL_LABELS: dict[str, str] = {
    "systolic_above": "Alert: systolic above",
    "diastolic_above": "Alert: diastolic above",
    "systolic_urgent_above": "Urgent at once: systolic above",
    "diastolic_urgent_above": "Urgent at once: diastolic above",
    "confirm_after_min": "A high pressure is confirmed after",
    "heart_rate_above": "Alert: heart rate above",
    "heart_rate_below": "Alert: heart rate below",
    "spo2_below": "Alert: SpO2 below",
    "respiratory_rate_below": "Alert: respiratory rate below",
    "respiratory_rate_above": "Alert: respiratory rate above",
    "start_hold_systolic_above": "Hold the start: systolic above",
    "start_hold_diastolic_above": "Hold the start: diastolic above",
}
VITAL_UNITS = {"confirm_after_min": "minutes", "spo2_below": "%"}
VITAL_PREFIX = "vital."
SCALE_PREFIX = "scale."


def _bound(name: str, kind: str) -> int:
    for item in Thresholds.model_fields[name].metadata:
        value = getattr(item, kind, None)
        if value is not None:
            return int(value)
    raise LookupError(name)  # pragma: no cover - every field is bounded


def _vital_specs() -> tuple[Spec, ...]:
    return tuple(
        Spec(
            VITAL_PREFIX + name,
            VITAL_LABELS.get(name, name.replace("_", " ")),
            False,
            Decimal(_bound(name, "ge")),
            Decimal(_bound(name, "le")),
            VITAL_UNITS.get(name, "per minute" if "rate" in name else "mmHg"),
            "vital-sign-thresholds",
            "Vital-sign thresholds",
            VITALS,
        )
        for name in Thresholds.model_fields
    )


_FLAG_WORDS = {
    "ItemAboveFlag": "an item answered above",
    "ItemAtLeastFlag": "an item answered at least",
    "TotalAtLeastFlag": "a total of at least",
}


def _flag_range(instrument: Instrument, flag: object) -> tuple[int, int]:
    if isinstance(flag, ItemAboveFlag | ItemAtLeastFlag):
        item = next(i for i in instrument.items if i.id == flag.item)
        if isinstance(flag, ItemAboveFlag):
            return 0, item.max_value - 1
        return 1, item.max_value
    return 1, instrument.max_total


def scale_defaults() -> dict[str, int]:
    """The questionnaires' own flag thresholds, by setting key."""
    found: dict[str, int] = {}
    for instrument in load_instruments().values():
        for flag in instrument.flags:
            if isinstance(flag, ItemAboveFlag | ItemAtLeastFlag | TotalAtLeastFlag):
                found[f"{SCALE_PREFIX}{instrument.id}.{flag.id}"] = flag.threshold
    return found


def _scale_specs() -> tuple[Spec, ...]:
    specs = []
    for instrument in sorted(load_instruments().values(), key=lambda i: i.name):
        for flag in instrument.flags:
            if not isinstance(flag, ItemAboveFlag | ItemAtLeastFlag | TotalAtLeastFlag):
                continue
            low, high = _flag_range(instrument, flag)
            what = _FLAG_WORDS[type(flag).__name__]
            label = f"{instrument.name}: {flag.id.replace('_', ' ')} on {what}"
            anchor = "suicide-risk" if "suicid" in flag.id else "scales"
            section = "Suicide risk" if anchor == "suicide-risk" else "Scales"
            key = f"{SCALE_PREFIX}{instrument.id}.{flag.id}"
            specs.append(
                Spec(
                    key,
                    label,
                    False,
                    Decimal(low),
                    Decimal(high),
                    "points",
                    anchor,
                    section,
                    SCALES,
                )
            )
    return tuple(specs)


@cache
def all_specs() -> dict[str, Spec]:
    return {s.key: s for s in (*SCALARS, *_vital_specs(), *_scale_specs())}


def spec(key: str) -> Spec:
    found = all_specs().get(key)
    if found is None:
        raise SettingError(key, "not a clinic setting")
    return found


def parse(key: str, text: str) -> Value:
    """The value typed for ``key``, or SettingError naming what is wrong."""
    s = spec(key)
    raw = text.strip()
    if not raw:
        raise SettingError(key, "enter a value")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise SettingError(key, "must be a number") from None
    if not number.is_finite():
        raise SettingError(key, "must be a number")
    if not s.decimal and number != number.to_integral_value():
        raise SettingError(key, "must be a whole number")
    too_low = number <= s.low if s.low_open else number < s.low
    too_high = number >= s.high if s.high_open else number > s.high
    if too_low or too_high:
        raise SettingError(key, f"must be {s.range_text} {s.unit}".strip())
    if s.decimal:
        if number.as_tuple().exponent < -4:  # type: ignore[operator]
            raise SettingError(key, "use at most 4 decimal places")
        return number.normalize() if number != 0 else Decimal(0)
    return int(number)


def stored(value: Value) -> str:
    """The text a value is stored as (``parse`` reads it back unchanged)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


# Settings that only make sense in order: (lower, upper, strictly below). A change that
# would put a pair out of order is refused naming the other setting, so a clinic
# cannot define an induction of at least 10 and at most 8 treatments, or an urgent
# pressure below the alerting one.
ORDERED: tuple[tuple[str, str, bool], ...] = (
    ("induction_min_sessions", "induction_max_sessions", False),
    ("induction_min_days", "induction_max_days", False),
    ("outcome_window_from_day", "outcome_window_to_day", False),
    (VITAL_PREFIX + "systolic_above", VITAL_PREFIX + "systolic_urgent_above", True),
    (VITAL_PREFIX + "diastolic_above", VITAL_PREFIX + "diastolic_urgent_above", True),
    (VITAL_PREFIX + "heart_rate_below", VITAL_PREFIX + "heart_rate_above", True),
    (VITAL_PREFIX + "respiratory_rate_below", VITAL_PREFIX + "respiratory_rate_above", True),
)


def order_problem(key: str, values: Mapping[str, Value | None]) -> str | None:
    """What is wrong with ``key``'s value beside the settings it is ordered with, in
    words, or None. A pair with a value unknown here (a protocol's own) is not judged."""
    for low, high, strict in ORDERED:
        if key not in (low, high):
            continue
        a, b = values.get(low), values.get(high)
        if a is None or b is None or (a < b if strict else a <= b):
            continue
        other = high if key == low else low
        other_spec = all_specs().get(other)
        name = other_spec.label if other_spec else other
        shown = f"{stored(b if key == low else a)} {other_spec.unit if other_spec else ''}"
        relation = (
            ("below" if strict else "at most")
            if key == low
            else ("above" if strict else "at least")
        )
        return f'must be {relation} "{name}" ({shown.strip()})'
    return None
