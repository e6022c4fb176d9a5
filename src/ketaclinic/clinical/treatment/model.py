"""Treatment protocols: frozen pydantic models validated on load.

A protocol is data (``protocols/*.yaml``): how one kind of treatment series is
given - route, drug, preparations, the dose rule with its soft and hard limits,
the session sequence with the window each session must fall in, the visit's
phases, titration, futility, maintenance and booster rules, the monitoring
profile and the REMS flag. Every protocol and every rule cites its source.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ketaclinic.clinical.dosing import (
    Devices,
    DoseRule,
    Fixed,
    FixedRate,
    Infusion,
    Injection,
    Mg,
    MgPerHour,
    MgPerKg,
    MgPerKgPerHour,
    MgPerMl,
    Ml,
    PerKg,
    PerKgPerHour,
    Preparation,
    WeightBasis,
)
from ketaclinic.clinical.scales import load_instruments
from ketaclinic.clinical.screening import INDICATIONS

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Positive = Annotated[Decimal, Field(gt=0)]
Route = Literal["iv", "im", "sublingual", "intranasal"]
ROUTES: tuple[Route, ...] = ("iv", "im", "sublingual", "intranasal")
DoseUnit = Literal["mg_per_kg", "mg_per_kg_per_hour", "mg_per_hour", "mg"]
UNIT_LABELS = {
    "mg_per_kg": "mg/kg",
    "mg_per_kg_per_hour": "mg/kg/h",
    "mg_per_hour": "mg/h",
    "mg": "mg",
}
Vital = Literal["bp", "hr", "spo2", "rr", "sedation", "cadss"]
# Which preparation each route is given from.
ROUTE_PREPARATIONS = {
    "iv": "infusion",
    "im": "injection",
    "sublingual": "injection",
    "intranasal": "devices",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PreparationSpec(_Frozen):
    """One way the drug is prepared: a bag/syringe for a pump, a vial for an
    injection or a measured liquid, or nasal spray devices."""

    kind: Literal["infusion", "injection", "devices"]
    label: Text
    concentration_mg_per_ml: Positive | None = None
    container_ml: Positive | None = None
    per_device_mg: Positive | None = None
    # A finer measuring step for this preparation (e.g. a 1 mL syringe marked in
    # 0.01 mL), used when the clinic's step would move the dose past the tolerance.
    fine_step_ml: Positive | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> PreparationSpec:
        needs = {
            "infusion": ("concentration_mg_per_ml", "container_ml"),
            "injection": ("concentration_mg_per_ml",),
            "devices": ("per_device_mg",),
        }[self.kind]
        allowed = set(needs)
        for name in ("concentration_mg_per_ml", "container_ml", "per_device_mg"):
            given = getattr(self, name) is not None
            if name in allowed and not given:
                raise ValueError(f"a {self.kind} preparation needs {name}")
            if name not in allowed and given:
                raise ValueError(f"a {self.kind} preparation does not take {name}")
        if self.kind == "devices" and self.fine_step_ml is not None:
            raise ValueError("a devices preparation does not take fine_step_ml")
        return self

    def to_preparation(self, step: Ml) -> Preparation:
        if self.kind == "devices":
            assert self.per_device_mg is not None
            return Devices(Mg(self.per_device_mg))
        assert self.concentration_mg_per_ml is not None
        concentration = MgPerMl(self.concentration_mg_per_ml)
        fine = Ml(self.fine_step_ml) if self.fine_step_ml is not None else None
        if fine is not None and fine.value >= step.value:
            fine = None  # the clinic already measures this finely
        if self.kind == "injection":
            return Injection(concentration, step, fine)
        assert self.container_ml is not None
        return Infusion(concentration, Ml(self.container_ml), step, fine)


class DoseSpec(_Frozen):
    """The dose rule: an amount in ``unit`` between the soft and hard limits."""

    unit: DoseUnit
    amount: Positive
    soft_limit: Positive
    hard_limit: Positive
    # A different first dose (esketamine: 56 mg on day 1).
    first_session_amount: Positive | None = None
    # The amounts a prescriber may choose (esketamine: 56 or 84 mg); empty = any
    # amount up to the limits.
    options: tuple[Positive, ...] = ()
    weight_basis: WeightBasis = "actual"
    duration_min: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    source: Text

    @model_validator(mode="after")
    def _consistent(self) -> DoseSpec:
        if not self.amount <= self.soft_limit <= self.hard_limit:
            raise ValueError("needs amount <= soft_limit <= hard_limit")
        for extra in (self.first_session_amount, *self.options):
            if extra is not None and extra > self.hard_limit:
                raise ValueError(f"{extra} is above the hard limit {self.hard_limit}")
        if self.options and self.amount not in self.options:
            raise ValueError("amount must be one of the options")
        if self.unit in {"mg_per_kg_per_hour", "mg_per_hour"} and self.duration_min is None:
            raise ValueError(f"a rate in {UNIT_LABELS[self.unit]} needs duration_min")
        return self

    @property
    def unit_label(self) -> str:
        return UNIT_LABELS[self.unit]

    def rule(self, amount: Decimal | None = None) -> DoseRule:
        """The typed dose rule for ``amount`` (default: the protocol's amount)."""
        value = self.amount if amount is None else amount
        if self.unit == "mg_per_kg":
            return PerKg(MgPerKg(value), MgPerKg(self.soft_limit), MgPerKg(self.hard_limit))
        if self.unit == "mg_per_kg_per_hour":
            return PerKgPerHour(
                MgPerKgPerHour(value),
                MgPerKgPerHour(self.soft_limit),
                MgPerKgPerHour(self.hard_limit),
            )
        if self.unit == "mg_per_hour":
            return FixedRate(
                MgPerHour(value), MgPerHour(self.soft_limit), MgPerHour(self.hard_limit)
            )
        return Fixed(Mg(value), Mg(self.soft_limit), Mg(self.hard_limit))


class Gap(_Frozen):
    """Days after the previous session: at least ``min``, aim for ``target``, at most ``max``."""

    min: Annotated[int, Field(ge=0, le=366)]
    target: Annotated[int, Field(ge=0, le=366)]
    max: Annotated[int, Field(ge=0, le=366)]

    @model_validator(mode="after")
    def _ordered(self) -> Gap:
        if not self.min <= self.target <= self.max:
            raise ValueError("needs min <= target <= max")
        return self


class SessionBlock(_Frozen):
    """``count`` sessions, each ``gap`` after the one before; ``up_to`` more may be
    added when the protocol allows (e.g. CRPS 5 to 10 days)."""

    label: Text
    count: Annotated[int, Field(ge=1, le=100)]
    up_to: Annotated[int, Field(ge=1, le=100)] | None = None
    gap: Gap

    @model_validator(mode="after")
    def _up_to(self) -> SessionBlock:
        if self.up_to is not None and self.up_to < self.count:
            raise ValueError("up_to must be at least count")
        return self


class Phases(_Frozen):
    """Minutes in the chair: pre-assessment, administration, observation minimum."""

    pre_assessment_min: Annotated[int, Field(ge=1, le=240)]
    administration_min: Annotated[int, Field(ge=1, le=24 * 60)]
    observation_min: Annotated[int, Field(ge=1, le=24 * 60)]
    source: Text

    @property
    def total_min(self) -> int:
        return self.pre_assessment_min + self.administration_min + self.observation_min


class Titration(_Frozen):
    """Raise by ``step`` (in the dose's unit) when ``when`` holds, up to ``ceiling``."""

    step: Positive
    ceiling: Positive
    when: Text
    source: Text


class Futility(_Frozen):
    after_sessions: Annotated[int, Field(ge=1, le=50)]
    source: Text


class FollowOn(_Frozen):
    """What comes after the series: a maintenance protocol, or a booster rule.

    A booster rule also says what an accepted booster adds to the plan (a new version
    of it): ``sessions`` sessions, the first within ``first_within_days`` of the day
    the revision starts, the rest ``gap`` apart (docs/clinical-references.md#boosters,
    practice). The maintenance entry ignores them."""

    protocol: Identifier | None = None
    when: Text
    source: Text
    sessions: Annotated[int, Field(ge=1, le=12)] = 1
    first_within_days: Annotated[int, Field(ge=0, le=60)] = 7
    gap: Gap | None = None

    @model_validator(mode="after")
    def _gap_between(self) -> FollowOn:
        if self.sessions > 1 and self.gap is None:
            raise ValueError("more than one session needs the gap between them")
        return self


class Thresholds(_Frozen):
    """Vital-sign alert thresholds; the clinic may change them
    (docs/clinical-references.md#vital-sign-thresholds)."""

    systolic_above: int = Field(ge=80, le=260)
    diastolic_above: int = Field(ge=40, le=160)
    systolic_urgent_above: int = Field(ge=80, le=280)
    diastolic_urgent_above: int = Field(ge=40, le=180)
    confirm_after_min: int = Field(ge=0, le=60)
    heart_rate_above: int = Field(ge=60, le=220)
    heart_rate_below: int = Field(ge=20, le=80)
    spo2_below: int = Field(ge=70, le=100)
    respiratory_rate_below: int = Field(ge=4, le=20)
    respiratory_rate_above: int = Field(ge=15, le=60)
    start_hold_systolic_above: int = Field(ge=80, le=260)
    start_hold_diastolic_above: int = Field(ge=40, le=160)


Minutes = Annotated[int, Field(ge=1, le=120)]


class ReadingIntervals(_Frozen):
    """Minutes between routine readings in each phase of the visit: before the dose,
    while it is given, and after (docs/clinical-references.md "Monitoring during and
    after a session": BP every 10 min during the infusion and every 15 min after)."""

    pre_dose: Minutes
    administration: Minutes
    observation: Minutes
    source: Text | None = None

    def in_phase(self, phase: str) -> int:
        """The interval in ``phase`` (``pre_dose``, ``administration``, ``observation``)."""
        if phase not in ("pre_dose", "administration", "observation"):
            raise ValueError(f"unknown phase {phase!r}")
        return int(getattr(self, phase))


class Monitoring(_Frozen):
    vitals: tuple[Vital, ...] = Field(min_length=1)
    # One number is the same interval in every phase; a mapping gives one per phase.
    every_min: ReadingIntervals
    thresholds: Thresholds
    source: Text

    @field_validator("every_min", mode="before")
    @classmethod
    def _one_for_all(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"pre_dose": value, "administration": value, "observation": value}
        return value


class QuestionnaireRule(_Frozen):
    """A questionnaire the patient answers before visits of this protocol: before
    every visit (``min_days_apart: 0``) or at most once in ``min_days_apart`` days
    (GAD-7 weekly: 7). Only self-report instruments: the patient fills them in."""

    instrument: Identifier
    min_days_apart: Annotated[int, Field(ge=0, le=365)] = 0
    source: Text

    @field_validator("instrument")
    @classmethod
    def _self_report(cls, value: str) -> str:
        known = load_instruments()
        if value not in known:
            raise ValueError(f"unknown questionnaire {value!r}; known: {', '.join(sorted(known))}")
        if known[value].completed_by != "self":
            raise ValueError(f"{value} is rated by a clinician, not answered by the patient")
        return value


class Protocol(_Frozen):
    id: Identifier
    version: Text
    name: Text
    summary: Text
    route: Route
    drug: Literal["ketamine", "esketamine"]
    indications: tuple[str, ...] = Field(min_length=1)
    # The screening rule set that must clear the patient (clinical.screening).
    rule_set: Identifier
    preparations: tuple[PreparationSpec, ...] = Field(min_length=1)
    dose: DoseSpec
    sessions: tuple[SessionBlock, ...] = Field(min_length=1)
    phases: Phases
    titration: Titration | None = None
    futility: Futility | None = None
    maintenance: FollowOn | None = None
    booster: FollowOn | None = None
    monitoring: Monitoring
    rems: bool = False
    # What the patient answers before visits (docs/clinical-references.md#assigned-questionnaires).
    questionnaires: tuple[QuestionnaireRule, ...] = ()
    source: Text

    @field_validator("questionnaires")
    @classmethod
    def _once_each(cls, value: tuple[QuestionnaireRule, ...]) -> tuple[QuestionnaireRule, ...]:
        ids = [rule.instrument for rule in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"questionnaires: {', '.join(twice)} listed more than once")
        return value

    @field_validator("indications")
    @classmethod
    def _known_indications(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in INDICATIONS]
        if unknown:
            raise ValueError(f"unknown indications {unknown}; known: {', '.join(INDICATIONS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        kind = ROUTE_PREPARATIONS[self.route]
        wrong = [p.label for p in self.preparations if p.kind != kind]
        if wrong:
            raise ValueError(f"route {self.route} is given as {kind}; not {', '.join(wrong)}")
        if (self.drug == "esketamine") != (self.route == "intranasal"):
            raise ValueError("esketamine is the intranasal drug, and the only one")
        if self.drug == "esketamine" and not self.rems:
            raise ValueError("esketamine is dispensed under the Spravato REMS: set rems: true")
        if kind == "infusion" and self.dose.duration_min is None:
            raise ValueError("an infusion protocol needs dose.duration_min")
        if self.dose.duration_min and self.phases.administration_min < self.dose.duration_min:
            raise ValueError("phases.administration_min is shorter than the infusion")
        if self.titration is not None and not (
            self.dose.amount < self.titration.ceiling <= self.dose.hard_limit
        ):
            raise ValueError("titration.ceiling must lie above the dose and within the hard limit")
        return self

    @property
    def planned_sessions(self) -> int:
        return sum(block.count for block in self.sessions)

    @property
    def max_sessions(self) -> int:
        return sum(block.up_to or block.count for block in self.sessions)
