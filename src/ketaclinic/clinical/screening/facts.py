"""The intake facts screening rules may use: a declared, typed vocabulary.

Rule files name facts from this list only, and the loader checks every
condition against the fact's kind (a yes/no fact cannot be compared with a
number). Intake data comes in as a mapping of fact name to value; a fact that is
absent or ``None`` is *missing*, which the engine treats as unknown - never as
"no". Every fact exists because a row of docs/clinical-references.md#contraindications
(or the Codes table, for indications) needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from ketaclinic.clinical.screening.errors import FactError

FactKind = Literal["bool", "int", "enum", "codes"]

OPERATORS: dict[FactKind, tuple[str, ...]] = {
    "bool": ("is",),
    "int": ("above", "at_least", "below", "at_most"),
    "enum": ("is", "in"),
    "codes": ("contains", "contains_any"),
}
ALL_OPERATORS: tuple[str, ...] = tuple(
    dict.fromkeys(op for ops in OPERATORS.values() for op in ops)
)


@dataclass(frozen=True)
class Indication:
    code: str
    label: str
    # ICD-10-CM as docs/clinical-references.md#codes gives it; None where it gives none.
    icd10: str | None


# source: docs/clinical-references.md#codes (ICD-10-CM) and the indications named in issue 5.
INDICATIONS: Mapping[str, Indication] = MappingProxyType(
    {
        i.code: i
        for i in (
            Indication("trd", "Treatment-resistant depression", "F32.x/F33.x"),
            Indication("mdd", "Major depression", "F32.x/F33.x"),
            Indication("anxiety", "Generalized anxiety disorder", "F41.1"),
            Indication("ptsd", "Post-traumatic stress disorder", "F43.1x"),
            Indication("ocd", "Obsessive-compulsive disorder", "F42.x"),
            Indication("bipolar_depression", "Bipolar depression", "F31.3-F31.5"),
            Indication("postpartum_depression", "Postpartum depression", "F53.0"),
            Indication("chronic_pain", "Chronic pain", None),
            Indication("crps", "Complex regional pain syndrome", "G90.5x"),
            Indication("migraine", "Migraine", "G43.x"),
        )
    }
)

# source: docs/clinical-references.md#interacting-medications (interacting medications) and the
# Spravato REMS form, which also asks about non-benzodiazepine hypnotics.
MEDICATION_CLASSES: tuple[str, ...] = (
    "benzodiazepine",
    "non_benzodiazepine_hypnotic",
    "lamotrigine",
    "maoi",
    "psychostimulant",
)


@dataclass(frozen=True)
class Fact:
    name: str
    kind: FactKind
    description: str
    unit: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    values: tuple[str, ...] = ()

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.kind]

    def check_value(self, value: Any) -> bool | int | str | frozenset[str]:
        """The value in canonical form, or ValueError saying what is wrong."""
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if self.kind == "int":
            return self._check_int(value)
        if self.kind == "enum":
            return self._check_choice(value)
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ValueError(f"must be a list of codes from {', '.join(self.values)}")
        return frozenset(self._check_choice(code) for code in value)

    def check_operand(self, operator: str, operand: Any) -> bool | int | str | tuple[str, ...]:
        """A rule's comparison value, checked against this fact's kind."""
        if operator in {"in", "contains_any"}:
            if not isinstance(operand, list | tuple) or not operand:
                raise ValueError(f"'{operator}' needs a non-empty list")
            return tuple(self._check_choice(value) for value in operand)
        if operator == "contains":
            return self._check_choice(operand)
        checked = self.check_value(operand)
        assert not isinstance(checked, frozenset)
        return checked

    def _check_int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number{self._unit_suffix()}")
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"must be in {low}..{high}{self._unit_suffix()}; got {value}")
        return value

    def _check_choice(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise ValueError(f"{value!r} is not one of {', '.join(self.values)}")
        return value

    def _unit_suffix(self) -> str:
        return f" ({self.unit})" if self.unit else ""


def _yes_no(name: str, description: str) -> Fact:
    return Fact(name, "bool", description)


# Ranges on numbers are plausibility limits that catch typing errors, not
# clinical thresholds (those live in the rule files).
FACTS: Mapping[str, Fact] = MappingProxyType(
    {
        fact.name: fact
        for fact in (
            Fact("age_years", "int", "Age in whole years", "years", 0, 130),
            Fact(
                "indications",
                "codes",
                "What ketamine treatment is sought for",
                values=tuple(INDICATIONS),
            ),
            Fact(
                "prior_antidepressant_trials",
                "int",
                "Number of prior adequate antidepressant trials",
                "trials",
                0,
                50,
            ),
            _yes_no("active_psychosis", "Current psychotic symptoms"),
            _yes_no("schizophrenia_spectrum_disorder", "Schizophrenia-spectrum diagnosis"),
            _yes_no("psychosis_history", "Past psychotic episode (not current)"),
            _yes_no("current_mania", "Bipolar disorder with a current manic episode"),
            Fact(
                "substance_use_disorder",
                "enum",
                "Substance use disorder: 'recent' = criteria met within the last 12 "
                "months (treated as active); 'remote' = in remission for 12 months "
                "or more; 'none' = never",
                values=("none", "remote", "recent"),
            ),
            _yes_no("ketamine_misuse_history", "Past misuse of ketamine or esketamine"),
            _yes_no("uncontrolled_hypertension", "Hypertension not controlled"),
            Fact("systolic_bp_mmhg", "int", "Baseline systolic BP", "mmHg", 50, 300),
            Fact("diastolic_bp_mmhg", "int", "Baseline diastolic BP", "mmHg", 20, 200),
            _yes_no(
                "unstable_cardiovascular_disease",
                "Unstable or poorly controlled cardiovascular disease",
            ),
            _yes_no("aneurysmal_vascular_disease", "Aneurysmal vascular disease"),
            _yes_no("arteriovenous_malformation", "Arteriovenous malformation"),
            _yes_no("intracerebral_hemorrhage_history", "Prior intracerebral hemorrhage"),
            _yes_no("raised_intracranial_pressure", "Raised intracranial pressure"),
            _yes_no("raised_intraocular_pressure", "Raised intraocular pressure"),
            Fact(
                "hepatic_impairment",
                "enum",
                "Hepatic impairment as graded by the clinician",
                values=("none", "mild", "moderate", "severe"),
            ),
            _yes_no("pregnant", "Pregnant"),
            _yes_no("breastfeeding", "Breastfeeding"),
            Fact(
                "medication_classes",
                "codes",
                "Current medications in the classes that interact",
                values=MEDICATION_CLASSES,
            ),
            Fact(
                "chart_medication_classes",
                "codes",
                "Medications on the chart's list in the classes that interact "
                "(read from the chart, not asked)",
                values=MEDICATION_CLASSES,
            ),
            _yes_no(
                "ketamine_hypersensitivity",
                "Known hypersensitivity to ketamine or esketamine",
            ),
        )
    }
)


def validate_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Known facts in canonical form (code lists become frozensets).

    ``None`` means missing and is dropped. Unknown names are refused rather than
    ignored: a misspelt fact would otherwise pass silently as "missing".
    """
    problems: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in facts.items():
        fact = FACTS.get(name)
        if fact is None:
            problems[name] = "unknown fact"
        elif value is not None:
            try:
                clean[name] = fact.check_value(value)
            except ValueError as exc:
                problems[name] = str(exc)
    if problems:
        raise FactError(problems)
    return clean


def facts_to_json(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Validated facts as JSON-ready data (sorted lists), e.g. to store with a result."""
    return {
        name: sorted(value) if isinstance(value, frozenset) else value
        for name, value in validate_facts(facts).items()
    }
