"""Booster suggestions as data: ``boosters.yaml`` holds the rules with their sources
(docs/clinical-references.md#boosters, practice defaults); ``evaluate`` applies them
to a patient's course. Pure.

``near_baseline``: for an instrument the patient responded on at the end of the
induction, a score is *near baseline* when ``baseline - total <= within_fraction *
baseline`` (it has given back all but that fraction of baseline). ``consecutive``
such scores in a row, all taken after the end-of-induction measure and after the
last booster, suggest a booster. The run's first score dates the episode: its key
(instrument and that time) is the same however many scores follow, so storing a
suggestion once per key makes evaluating again harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ketaclinic.clinical import datafiles
from ketaclinic.clinical.course import INSTRUMENTS, Course, meets_response
from ketaclinic.clinical.outcomes import Point

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]

# The clinic settings a rule may name, with their defaults (the settings' own defaults:
# settings.Settings; docs/clinical-references.md#boosters, practice).
LIMITS: Mapping[str, Fraction | int] = {
    "booster_within_fraction": Fraction(1, 4),
    "booster_consecutive": 2,
}
_FRACTIONS = ("booster_within_fraction",)
_COUNTS = ("booster_consecutive",)


class BoosterRulesError(datafiles.DataFileError):
    code = "booster_rules_invalid"


class BoosterRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Identifier
    label: Text
    kind: Literal["near_baseline"]
    practice: bool
    instruments: tuple[Identifier, ...] = Field(min_length=1)
    within_fraction: Literal["booster_within_fraction"]
    consecutive: Literal["booster_consecutive"]
    message: Text
    source: Annotated[str, StringConstraints(pattern=r"docs/clinical-references\.md#")]

    @model_validator(mode="after")
    def _known_instruments(self) -> BoosterRule:
        unknown = [i for i in self.instruments if i not in INSTRUMENTS]
        if unknown:
            raise ValueError(f"unknown instrument {unknown[0]!r} (one of {', '.join(INSTRUMENTS)})")
        return self


class BoosterRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[BoosterRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> BoosterRules:
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids repeat")
        return self

    def rule(self, rule_id: str) -> BoosterRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True)
class Suggestion:
    rule_id: str
    instrument_id: str
    key: str  # the episode: instrument and the run's first score time
    baseline: Point
    response: Point  # the end-of-induction measure that met response
    scores: tuple[Point, ...]  # the run of near-baseline scores
    threshold: Fraction  # a total at or above this is near baseline

    def evidence(self) -> dict[str, Any]:
        """JSON-ready: which scores, when, against which baseline."""

        def point(p: Point) -> dict[str, Any]:
            return {"at": p[0].isoformat(), "total": p[1]}

        return {
            "instrument_id": self.instrument_id,
            "baseline": point(self.baseline),
            "response": point(self.response),
            "scores": [point(p) for p in self.scores],
            "near_baseline_from": float(self.threshold),
        }


def limits_with(overrides: Mapping[str, Any]) -> dict[str, Fraction | int]:
    """The rule limits: the defaults with the clinic's values (exact fractions)."""
    found: dict[str, Fraction | int] = dict(LIMITS)
    for key, value in overrides.items():
        if key in _FRACTIONS:
            found[key] = Fraction(str(value))
        elif key in _COUNTS:
            found[key] = int(value)
    fraction = found["booster_within_fraction"]
    if not 0 < fraction < 1:
        raise ValueError(f"booster_within_fraction must be in (0, 1), got {fraction}")
    if int(found["booster_consecutive"]) < 1:
        raise ValueError("booster_consecutive must be at least 1")
    return found


def near_baseline(baseline_total: int, total: int, within: Fraction) -> bool:
    return baseline_total > 0 and baseline_total - total <= within * baseline_total


def evaluate(
    course: Course, rules: BoosterRules, limits: Mapping[str, Any] | None = None
) -> list[Suggestion]:
    """Every suggestion the rules make on ``course``, in rule then instrument order."""
    values = limits_with(limits or {})
    boosters = [at for at, kind in course.kinds if kind == "booster"]
    found: list[Suggestion] = []
    for rule in rules.rules:
        within = Fraction(values[rule.within_fraction])
        needed = int(values[rule.consecutive])
        for summary in course.instruments:
            if summary.instrument_id not in rule.instruments or not summary.response:
                continue
            assert summary.baseline is not None and summary.end is not None  # responded
            base = summary.baseline[1]
            since = max([summary.end[0], *boosters])
            run: list[Point] = []
            for p in summary.later:
                if p[0] <= since:
                    continue
                # Near baseline and no longer a response by the instrument's own rule:
                # a PCL-5 fall of 12 from 50 is a response (10 points) though within a
                # quarter of baseline, and a response never asks for a booster.
                near = near_baseline(base, p[1], within) and not meets_response(
                    summary.instrument_id, base, p[1], course.settings
                )
                run = [*run, p] if near else []
                if len(run) >= needed:
                    found.append(
                        Suggestion(
                            rule_id=rule.id,
                            instrument_id=summary.instrument_id,
                            key=f"{summary.instrument_id}@{run[0][0].isoformat()}",
                            baseline=summary.baseline,
                            response=summary.end,
                            scores=tuple(run),
                            threshold=base - within * base,
                        )
                    )
                    break
    return found


def load_booster_rules(path: Path | None = None) -> BoosterRules:
    """The rules in ``path`` (default: the packaged ``boosters.yaml``)."""
    if path is None:
        return _packaged()
    text = path.read_text(encoding="utf-8")
    return datafiles.parse(text, path.name, BoosterRules, BoosterRulesError)


@lru_cache(maxsize=1)
def _packaged() -> BoosterRules:
    resource = files("ketaclinic.clinical") / "boosters.yaml"
    return datafiles.parse(
        resource.read_text(encoding="utf-8"), resource.name, BoosterRules, BoosterRulesError
    )
