"""The Spravato REMS patient monitoring form: its fields and what is missing. Pure.

Source: docs/clinical-references.md#rems, "Spravato REMS patient monitoring form (fields)" - every
field listed there, in that order; monitoring lasts at least 120 minutes from the
first device; the form is due within 7 days of each session.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from ketaclinic.clinical.chairside.vitals import Reading

Kind = Literal["text", "date", "bool", "int", "choice", "time"]
# docs/clinical-references.md#rems: observe >= 2 h; each form due within 7 days.
MIN_MONITORING_MIN = 120
DUE_DAYS = 7
BP_TEXT = re.compile(r"\d{2,3}/\d{2,3}")


@dataclass(frozen=True)
class RemsField:
    key: str
    label: str
    kind: Kind
    choices: tuple[str, ...] = ()
    required: bool = True


def _yes_no(key: str, label: str) -> RemsField:
    return RemsField(key, label, "bool")


REMS_FIELDS: tuple[RemsField, ...] = (
    RemsField("patient_name", "Patient name", "text"),
    RemsField("date_of_birth", "Date of birth", "date"),
    RemsField("sex", "Sex", "choice", ("female", "male", "intersex", "unknown")),
    _yes_no("benzodiazepines", "Concomitant benzodiazepines"),
    _yes_no("non_benzodiazepine_hypnotics", "Concomitant non-benzodiazepine hypnotics"),
    _yes_no("psychostimulants", "Concomitant psychostimulants"),
    _yes_no("maois", "Concomitant MAOIs"),
    RemsField("monitoring_professional", "Monitoring healthcare professional", "text"),
    RemsField("setting", "Healthcare setting", "text"),
    RemsField("treatment_date", "Treatment date", "date"),
    RemsField("dose", "Dose (mg)", "choice", ("56", "84", "other")),
    RemsField("dose_other_mg", "Other dose (mg)", "int", required=False),  # when dose is other
    RemsField("lot_number", "Lot number", "text"),
    RemsField("minutes_monitored", "Minutes from the first device to end of monitoring", "int"),
    RemsField("ready_to_leave_at", "When the patient would have been ready to leave", "time"),
    _yes_no("vitals_acceptable_pre_dose", "Vital signs acceptable before dosing"),
    _yes_no("vitals_acceptable_before_completion", "Vital signs acceptable before completion"),
    RemsField("bp_pre_dose", "BP before the dose", "text"),
    RemsField("bp_40_min", "BP about 40 minutes after the dose", "text"),
    RemsField("bp_pre_completion", "BP before completion of monitoring", "text"),
    _yes_no("sedation", "Sedation"),
    _yes_no("dissociation", "Dissociation"),
    _yes_no("respiratory_depression", "Respiratory depression"),
    _yes_no("pulse_oximetry_checked", "Pulse oximetry checked"),
    _yes_no("serious_adverse_events", "Serious adverse events"),
    RemsField("sae_description", "Serious adverse event description", "text", required=False),
)
_BP_FIELDS = frozenset({"bp_pre_dose", "bp_40_min", "bp_pre_completion"})
_EXPECTED: Mapping[Kind, str] = {
    "text": "text",
    "date": "a date",
    "bool": "yes or no",
    "int": "a whole number",
    "choice": "one of the choices",
    "time": "a time",
}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _right_kind(spec: RemsField, value: Any) -> bool:
    if spec.kind == "text":
        return isinstance(value, str)
    if spec.kind == "date":
        return isinstance(value, date) and not isinstance(value, datetime)
    if spec.kind == "bool":
        return isinstance(value, bool)
    if spec.kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.kind == "choice":
        return value in spec.choices
    return isinstance(value, time | datetime)


def missing(form: Mapping[str, Any]) -> dict[str, str]:
    """Key -> message for every field that is required and empty, or filled wrongly."""
    required = {
        "dose_other_mg": form.get("dose") == "other",
        "sae_description": form.get("serious_adverse_events") is True,
    }
    problems: dict[str, str] = {}
    for spec in REMS_FIELDS:
        value: Any = form.get(spec.key)
        if _empty(value):
            if required.get(spec.key, spec.required):
                problems[spec.key] = "required"
        elif not _right_kind(spec, value):
            expected = _EXPECTED[spec.kind]
            if spec.kind == "choice":
                expected = f"one of {', '.join(spec.choices)}"
            problems[spec.key] = f"expected {expected}"
        elif spec.key in _BP_FIELDS and not BP_TEXT.fullmatch(value.strip()):
            problems[spec.key] = "enter BP as systolic/diastolic, e.g. 120/80"
        elif spec.key == "minutes_monitored" and value < MIN_MONITORING_MIN:
            problems[spec.key] = f"monitoring must last at least {MIN_MONITORING_MIN} minutes"
        elif spec.key == "dose_other_mg" and value <= 0:
            problems[spec.key] = "the dose must be above 0 mg"
    return problems


def due_on(treatment_date: date) -> date:
    """The last day to submit the form for a session on ``treatment_date``."""
    return treatment_date + timedelta(days=DUE_DAYS)


def bp_near(readings: Sequence[Reading], target: datetime, tolerance_min: int = 10) -> str | None:
    """``"sys/dia"`` of the full BP reading closest to ``target`` within the
    tolerance (the earlier one on a tie), else None - to fill the form's BPs."""
    tolerance = timedelta(minutes=tolerance_min)
    near = [
        r
        for r in readings
        if r.systolic is not None and r.diastolic is not None and abs(r.at - target) <= tolerance
    ]
    if not near:
        return None
    best = min(near, key=lambda r: (abs(r.at - target), r.at))
    return f"{best.systolic}/{best.diastolic}"
