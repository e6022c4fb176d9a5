"""The insured's plan a claim names (CMS-1500 items 1, 4, 6, 11, 11a and 11c), checked
before it is stored. Pure (docs/clinical-references.md#cms-1500).

The patient is the insured unless the relationship says otherwise (item 6: self,
spouse, child, other); then the insured's own name is required, and a birth date, if
given, is not in the future. The plan type (item 1) may be left to the payer's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import get_args

from ketaclinic.clinical.billing.cms1500 import InsuranceType, Relationship

PLAN_TYPES: tuple[str, ...] = get_args(InsuranceType)
RELATIONSHIPS: tuple[str, ...] = get_args(Relationship)
SEXES = ("", "M", "F")


@dataclass(frozen=True)
class InsuredPlan:
    """What staff entered about the plan and its holder, beside the payer and member
    id (text already trimmed)."""

    plan_type: str | None = None
    group_number: str = ""
    plan_name: str = ""
    relationship: str = "self"
    family_name: str = ""
    given_name: str = ""
    birth_date: date | None = None
    sex: str = ""


def insured_problems(insured: InsuredPlan, today: date) -> dict[str, str]:
    """Each field that cannot go on a claim as entered, with what is wrong."""
    problems: dict[str, str] = {}
    if insured.plan_type is not None and insured.plan_type not in PLAN_TYPES:
        problems["plan_type"] = f"one of {', '.join(PLAN_TYPES)}"
    if insured.relationship not in RELATIONSHIPS:
        problems["relationship"] = f"one of {', '.join(RELATIONSHIPS)}"
    elif insured.relationship != "self":
        if not insured.family_name:
            problems["insured_family_name"] = "the insured's family name, as on the card"
        if not insured.given_name:
            problems["insured_given_name"] = "the insured's given name, as on the card"
    if insured.sex not in SEXES:
        problems["insured_sex"] = "M, F or empty"
    if insured.birth_date is not None and insured.birth_date > today:
        problems["insured_birth_date"] = "a birth date in the past"
    return problems
