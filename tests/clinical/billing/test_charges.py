"""A completed visit's charge lines, one rule a test, each naming its source in
docs/clinical-references.md#billing-codes (issue 23, point 1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.billing import Visit, charges_for, code_book

DAY = date(2026, 12, 9)
NDC = "42023-0113-10"
DX = ("F33.2", "F41.1")


def iv(minutes: int, **kw: object) -> Visit:
    base: dict[str, object] = {
        "date_of_service": DAY,
        "route": "iv",
        "drug": "ketamine",
        "given_mg": Decimal(35),
        "infused_min": Decimal(minutes),
        "ndc": NDC,
        "diagnoses": DX,
    }
    return Visit(**(base | kw))  # type: ignore[arg-type]


def codes(visit: Visit) -> list[tuple[str, int]]:
    return [(line.code, line.units) for line in charges_for(visit).lines]


def test_it_bills_an_iv_infusion_by_its_charted_hours_and_the_drug_by_ndc() -> None:
    """AMA CPT 96365/96366; CMS HCPCS J3490 with the NDC (NUCC item 24 shaded)."""
    assert codes(iv(40)) == [("96365", 1), ("J3490", 1)]
    assert codes(iv(100)) == [("96365", 1), ("96366", 1), ("J3490", 1)]
    assert codes(iv(240)) == [("96365", 1), ("96366", 3), ("J3490", 1)]
    drug = charges_for(iv(40)).lines[-1]
    assert (drug.ndc, drug.ndc_quantity, drug.ndc_unit) == (NDC, Decimal(35), "ME")


def test_it_bills_a_short_infusion_as_an_iv_push() -> None:
    """AMA CPT 96374: 15 minutes or less."""
    assert codes(iv(12)) == [("96374", 1), ("J3490", 1)]


def test_it_bills_an_im_injection_as_96372() -> None:
    """AMA CPT 96372."""
    visit = iv(0, route="im", given_mg=Decimal(50))
    assert codes(visit) == [("96372", 1), ("J3490", 1)]


def test_it_asks_for_the_ndc_of_ketamine() -> None:
    """CMS: an unlisted drug (J3490) is billed with its NDC."""
    assert "ndc" in charges_for(iv(40, ndc=None)).problems


def test_it_adds_an_evaluation_only_when_documented_and_then_with_modifier_25() -> None:
    """AMA CPT E/M 2021 and modifier 25: a separately identifiable evaluation."""
    assert all(not line.code.startswith("992") for line in charges_for(iv(40)).lines)
    lines = charges_for(iv(40, evaluation="99213")).lines
    assert (lines[0].code, lines[0].modifiers) == ("99213", ("25",))
    assert all(line.modifiers == () for line in lines[1:])
    assert "evaluation" in charges_for(iv(40, evaluation="99205")).problems


@pytest.mark.parametrize(
    ("mg", "visit_code"), [(Decimal(28), "G2082"), (Decimal(56), "G2082"), (Decimal(84), "G2083")]
)
def test_it_bills_esketamine_by_dose_with_the_drug_per_mg(mg: Decimal, visit_code: str) -> None:
    """CMS HCPCS G2082 (up to 56 mg) / G2083 (more than 56 mg), with observation; J0013
    per 1 mg from 2026-01-01."""
    visit = Visit(DAY, "intranasal", "esketamine", mg, diagnoses=DX)
    assert codes(visit) == [(visit_code, 1), ("J0013", int(mg))]


@pytest.mark.parametrize(
    ("day", "drug_code"),
    [(date(2025, 12, 31), "S0013"), (date(2026, 1, 1), "J0013"), (date(2027, 3, 1), "J0013")],
)
def test_it_picks_the_esketamine_drug_code_by_date_of_service(day: date, drug_code: str) -> None:
    """CMS HCPCS: J0013 replaces S0013 for dates of service from 2026-01-01."""
    visit = Visit(day, "intranasal", "esketamine", Decimal(56), diagnoses=DX)
    assert charges_for(visit).lines[1].code == drug_code


def test_it_points_each_line_at_the_patients_diagnoses_in_an_office() -> None:
    """NUCC 1500 items 21 and 24E (at most 12 codes, 4 pointers); CMS place of service 11."""
    many = ("F33.2", "F41.1", "F43.10", "G90.50", "F42.2", "bad code")
    charges = charges_for(iv(40, diagnoses=many))
    assert charges.place_of_service == "11"
    assert charges.diagnoses == many[:5]
    assert {line.pointers for line in charges.lines} == {("A", "B", "C", "D")}
    assert "diagnoses" in charges_for(iv(40, diagnoses=())).problems


def test_it_bills_nothing_for_a_drug_never_given() -> None:
    assert codes(iv(0, given_mg=Decimal(0))) == []


def test_it_bills_no_administration_for_sublingual_ketamine() -> None:
    visit = iv(0, route="sublingual", given_mg=Decimal(100))
    assert codes(visit) == []


@given(st.decimals(min_value=Decimal("0.5"), max_value=Decimal(300), places=1))
def test_it_picks_exactly_one_esketamine_visit_code_for_any_dose(mg: Decimal) -> None:
    visit = Visit(DAY, "intranasal", "esketamine", mg, diagnoses=DX)
    visit_codes = [line.code for line in charges_for(visit).lines if line.code.startswith("G")]
    assert visit_codes == (["G2082"] if mg <= 56 else ["G2083"])


def test_it_cites_a_source_for_every_code() -> None:
    assert all("clinical-references.md#billing-codes" in c.source for c in code_book().codes)


def test_it_bills_the_charted_time_but_no_drug_when_the_amount_is_not_charted() -> None:
    """The time earns the administration codes; the drug line needs the amount given."""
    charges = charges_for(iv(100, given_mg=None))
    assert [(x.code, x.units) for x in charges.lines] == [("96365", 1), ("96366", 1)]
    assert "given_mg" in charges.problems
    esketamine = charges_for(Visit(DAY, "intranasal", "esketamine", None, diagnoses=DX))
    assert esketamine.lines == () and "given_mg" in esketamine.problems
