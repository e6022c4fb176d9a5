"""Vital-sign alerts during a session: rules as data, confirmation as a rule.

``alert_rules.yaml`` holds the default rules (docs/clinical-references.md#monitoring, "Default
alert thresholds (practice)"). A rule names its limits by ``Thresholds`` field, so
a clinic changes the numbers in its protocol or settings, not the rules. Only the
newest reading can raise an alert; a rule with ``confirm`` needs the breach to
last (repeated readings some minutes apart, or sustained) before it is confirmed,
and until then it is *pending* with the time the confirming reading is due.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StrictInt, ValidationError, field_validator, model_validator

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.chairside._models import Frozen, Key, NonEmpty, Text
from ketaclinic.clinical.chairside.vitals import (
    MEASURE_LABELS,
    MEASURE_NOUNS,
    MEASURES,
    PLAUSIBLE,
    Measure,
    Reading,
    reading_problems,
)
from ketaclinic.clinical.treatment.model import Thresholds

__all__ = [
    "ACTION_LABELS",
    "ALERT_ACTIONS",
    "ALERT_ACTION_LABELS",
    "MEASURES",
    "MEASURE_LABELS",
    "PHASES",
    "PLAUSIBLE",
    "AlertRule",
    "AlertRules",
    "AlertRulesError",
    "Condition",
    "Confirm",
    "Finding",
    "Measure",
    "Phase",
    "Reading",
    "ThresholdError",
    "evaluate",
    "load_alert_rules",
    "next_reading_due",
    "reading_problems",
    "start_problems",
    "thresholds_with",
]

Phase = Literal["pre_dose", "administration", "observation"]
PHASES: tuple[Phase, ...] = get_args(Phase)
Severity = Literal["urgent", "warning", "hold"]
AlertAction = Literal[
    "recheck", "pause", "rate_change", "rescue_medication", "stop", "notify_prescriber"
]
ALERT_ACTIONS: tuple[str, ...] = get_args(AlertAction)
ACTION_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "recheck": "Recheck",
        "pause": "Pause the infusion",
        "rate_change": "Lower the rate",
        "rescue_medication": "Give a rescue medication",
        "stop": "Stop the session",
        "notify_prescriber": "Notify the prescriber",
    }
)
ALERT_ACTION_LABELS = ACTION_LABELS  # the name the package re-exports


class AlertRulesError(datafiles.DataFileError):
    """The alert rule file is malformed; the message reads ``file:line: reason``."""

    code = "alert_rules_invalid"


# A number, or the name of a ``Thresholds`` field that holds it.
Limit = StrictInt | Key
Minutes = Annotated[StrictInt, Field(ge=0, le=240)] | Key


def _resolve(limit: int | str, thresholds: Thresholds) -> int:
    value: int = getattr(thresholds, limit) if isinstance(limit, str) else limit
    return value


def _known_threshold(value: int | str | None) -> int | str | None:
    if isinstance(value, str) and value not in Thresholds.model_fields:
        known = ", ".join(Thresholds.model_fields)
        raise ValueError(f"{value!r} is not a threshold; known: {known}")
    return value


class Condition(Frozen):
    """``measure`` strictly above or strictly below a limit."""

    measure: Measure
    above: Limit | None = None
    below: Limit | None = None

    _known = field_validator("above", "below")(_known_threshold)

    @model_validator(mode="after")
    def _one_limit(self) -> Condition:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self

    def limit(self, thresholds: Thresholds) -> int:
        limit = self.above if self.above is not None else self.below
        assert limit is not None
        return _resolve(limit, thresholds)

    def met(self, reading: Reading, thresholds: Thresholds) -> bool:
        value = reading.value(self.measure)
        if value is None:
            return False
        limit = self.limit(thresholds)
        return value > limit if self.above is not None else value < limit


class Confirm(Frozen):
    """Confirmed by ``readings`` breaching readings at least ``apart_min`` apart
    (first to last), or by a breach that lasts ``sustained_min``."""

    readings: Annotated[StrictInt, Field(ge=2, le=10)] | None = None
    apart_min: Minutes | None = None
    sustained_min: Minutes | None = None

    _known = field_validator("apart_min", "sustained_min")(_known_threshold)

    @model_validator(mode="after")
    def _one_kind(self) -> Confirm:
        repeated = self.readings is not None and self.apart_min is not None
        partial = (self.readings is None) != (self.apart_min is None)
        if partial or repeated == (self.sustained_min is not None):
            raise ValueError("give either readings and apart_min, or sustained_min")
        return self

    def minutes(self, thresholds: Thresholds) -> int:
        minutes = self.apart_min if self.apart_min is not None else self.sustained_min
        assert minutes is not None
        return _resolve(minutes, thresholds)


class AlertRule(Frozen):
    id: Key
    label: Text
    severity: Severity
    any: Annotated[tuple[Condition, ...], NonEmpty]  # OR'ed
    confirm: Confirm | None = None  # None: one reading raises it
    phases: tuple[Phase, ...] = ()  # empty: every phase
    actions: Annotated[tuple[AlertAction, ...], NonEmpty]  # suggested, in order
    message: Text
    source: Text
    # Where the rule starts in its file (1-based), when it was loaded from one.
    line: int | None = Field(default=None, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _remember_line(cls, data: Any) -> Any:
        line = getattr(data, "line", None)
        if isinstance(data, dict) and line is not None and "line" not in data:
            return {**data, "line": line}
        return data

    @property
    def measures(self) -> frozenset[Measure]:
        return frozenset(condition.measure for condition in self.any)

    def applies_in(self, phase: Phase) -> bool:
        return not self.phases or phase in self.phases


class AlertRules(Frozen):
    rules: Annotated[tuple[AlertRule, ...], NonEmpty]

    @model_validator(mode="after")
    def _unique_ids(self) -> AlertRules:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise datafiles.LocatedProblem(f"duplicate rule id {rule.id!r}", rule.line)
            seen.add(rule.id)
        return self

    def rule(self, rule_id: str) -> AlertRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def load_alert_rules(path: Path | None = None) -> AlertRules:
    """The rules in ``path`` (default: the packaged ``alert_rules.yaml``)."""
    if path is None:
        return _packaged()
    return datafiles.parse(path.read_text(encoding="utf-8"), path.name, AlertRules, AlertRulesError)


@lru_cache(maxsize=1)
def _packaged() -> AlertRules:
    resource = files("ketaclinic.clinical.chairside") / "alert_rules.yaml"
    text = resource.read_text(encoding="utf-8")
    return datafiles.parse(text, resource.name, AlertRules, AlertRulesError)


class ThresholdError(ValueError):
    """A clinic's threshold override is unknown or out of range; ``field`` names it."""

    code = "threshold_invalid"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def thresholds_with(base: Thresholds, overrides: Mapping[str, int]) -> Thresholds:
    """``base`` with the clinic's overrides, validated like a protocol file."""
    for name in overrides:
        if name not in Thresholds.model_fields:
            raise ThresholdError(
                name, f"not a threshold; known: {', '.join(Thresholds.model_fields)}"
            )
    try:
        return Thresholds.model_validate({**base.model_dump(), **overrides})
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ThresholdError(str(error["loc"][0]), error["msg"]) from exc


@dataclass(frozen=True)
class Finding:
    rule_id: str
    label: str
    severity: Severity
    status: Literal["confirmed", "pending"]
    measure: Measure
    value: int
    limit: int
    at: datetime
    message: str
    recheck_by: datetime | None  # pending only: when the confirming reading is due
    actions: tuple[str, ...]

    @property
    def summary(self) -> str:
        """``"High BP: systolic BP 185 mmHg is above 180"``."""
        noun, unit = MEASURE_NOUNS[self.measure]
        side = "above" if self.value > self.limit else "below"
        return f"{self.label}: {noun} {self.value}{unit} is {side} {self.limit}"


def evaluate(
    history: Sequence[Reading], rules: AlertRules, thresholds: Thresholds, phase: Phase
) -> list[Finding]:
    """What the newest reading of one session raises, in rule order."""
    if not history:
        return []
    readings = sorted(history, key=lambda reading: reading.at)
    newest = readings[-1]
    findings = []
    for rule in rules.rules:
        if not rule.applies_in(phase):
            continue
        met = [condition for condition in rule.any if condition.met(newest, thresholds)]
        if not met:
            continue
        run = _run(readings, rule, thresholds)
        status: Literal["confirmed", "pending"] = "confirmed"
        recheck_by = None
        if rule.confirm is not None:
            window = timedelta(minutes=rule.confirm.minutes(thresholds))
            enough = rule.confirm.readings is None or len(run) >= rule.confirm.readings
            if not (enough and newest.at - run[0].at >= window):
                # Never due in the past (a 3-reading rule whose span is already met).
                status, recheck_by = "pending", max(run[0].at + window, newest.at)
        value = newest.value(met[0].measure)
        assert value is not None
        findings.append(
            Finding(
                rule_id=rule.id,
                label=rule.label,
                severity=rule.severity,
                status=status,
                measure=met[0].measure,
                value=value,
                limit=met[0].limit(thresholds),
                at=newest.at,
                message=rule.message,
                recheck_by=recheck_by,
                actions=rule.actions,
            )
        )
    return findings


def _run(readings: Sequence[Reading], rule: AlertRule, thresholds: Thresholds) -> list[Reading]:
    """The breaching readings that end at the newest, oldest first. Readings
    without any of the rule's measures (an SpO2-only check) do not break it."""
    run: list[Reading] = []
    for reading in reversed(readings):
        if all(reading.value(measure) is None for measure in rule.measures):
            continue
        if not any(condition.met(reading, thresholds) for condition in rule.any):
            break
        run.append(reading)
    return run[::-1]


def next_reading_due(
    last_at: datetime | None, every_min: int, pending: Sequence[Finding] = ()
) -> datetime | None:
    """The earliest of the routine reading and any pending recheck."""
    due = [f.recheck_by for f in pending if f.status == "pending" and f.recheck_by is not None]
    if last_at is not None:
        due.append(last_at + timedelta(minutes=every_min))
    return min(due, default=None)


def start_problems(
    reading: Reading | None, thresholds: Thresholds, *, rules: AlertRules | None = None
) -> list[str]:
    """Why the dose may not start on this pre-dose reading; empty when it may.

    A BP is needed before the dose (docs/clinical-references.md#monitoring: BP before start above
    160/100 holds the start; esketamine: BP before the dose). Every other alert the
    reading raises, confirmed or not, holds the start too: settle it first.
    """
    if reading is None:
        return ["no vital signs recorded before the start"]
    problems = [f"{field}: {message}" for field, message in reading_problems(reading).items()]
    if reading.systolic is None or reading.diastolic is None:
        problems.append("no blood pressure recorded before the start")
    if problems:
        return problems
    findings = evaluate([reading], rules or load_alert_rules(), thresholds, "pre_dose")
    return [finding.summary for finding in findings]
