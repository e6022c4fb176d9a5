"""The insured's plan a claim names (CMS-1500 items 1, 4, 6, 11, 11a, 11c): what can be
stored (docs/clinical-references.md#cms-1500)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.billing.coverage import (
    PLAN_TYPES,
    RELATIONSHIPS,
    InsuredPlan,
    insured_problems,
)

TODAY = date(2026, 12, 7)
names = st.text(alphabet="abcdefghij", min_size=1, max_size=8)


def test_it_takes_the_patient_as_the_insured_without_more() -> None:
    assert insured_problems(InsuredPlan(), TODAY) == {}


def test_it_needs_the_insureds_name_when_the_patient_is_not_the_insured() -> None:
    problems = insured_problems(InsuredPlan(relationship="spouse"), TODAY)
    assert set(problems) == {"insured_family_name", "insured_given_name"}


def test_it_refuses_an_unknown_plan_type_relationship_or_sex() -> None:
    problems = insured_problems(InsuredPlan(plan_type="hmo", relationship="cousin", sex="X"), TODAY)
    assert set(problems) == {"plan_type", "relationship", "insured_sex"}


def test_it_refuses_an_insured_born_tomorrow() -> None:
    plan = InsuredPlan(
        relationship="child", family_name="Vance", given_name="Ada", birth_date=TODAY + timedelta(1)
    )
    assert set(insured_problems(plan, TODAY)) == {"insured_birth_date"}


@given(
    plan_type=st.none() | st.sampled_from(PLAN_TYPES),
    relationship=st.sampled_from(RELATIONSHIPS),
    family=names,
    given_name=names,
    born_days_ago=st.integers(min_value=0, max_value=40000),
    sex=st.sampled_from(("", "M", "F")),
)
def test_it_accepts_every_complete_plan(
    plan_type: str | None,
    relationship: str,
    family: str,
    given_name: str,
    born_days_ago: int,
    sex: str,
) -> None:
    plan = InsuredPlan(
        plan_type=plan_type,
        relationship=relationship,
        family_name=family,
        given_name=given_name,
        birth_date=TODAY - timedelta(days=born_days_ago),
        sex=sex,
    )
    assert insured_problems(plan, TODAY) == {}
