"""A visit's claim as CMS-1500 (02/12) fields, one field family a test, by the NUCC
1500 Claim Form Reference Instruction Manual (docs/clinical-references.md#cms-1500;
issue 23, point 5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.billing.cms1500 import (
    LINES_PER_FORM,
    Claim,
    ClaimIncomplete,
    Person,
    Provider,
    ServiceLine,
    forms_of,
    insurance_type_of,
    ndc11,
)
from ketaclinic.clinical.billing.cms1500_csv import CSV_COLUMNS, csv_rows

DAY = date(2026, 12, 9)
CLINIC_NPI = "1710234562"  # valid Luhn over 80840
RENDERING_NPI = "1234567893"  # CMS's example


def line(code: str = "G2082", **kw: object) -> ServiceLine:
    base: dict[str, object] = {
        "date_of_service": DAY,
        "place_of_service": "11",
        "code": code,
        "units": 1,
        "charge_cents": 90600,
        "pointers": "A",
        "rendering_npi": RENDERING_NPI,
    }
    return ServiceLine(**(base | kw))  # type: ignore[arg-type]


def claim(*lines: ServiceLine, **kw: object) -> Claim:
    clinic = Provider("Lakeside Ketamine", CLINIC_NPI, "12 Shore Road, Duluth, MN 55802")
    base: dict[str, object] = {
        "patient": Person(
            "Rivera",
            "Ana",
            date(1984, 3, 7),
            "F",
            "4 Elm Street",
            "Duluth",
            "MN",
            "55803",
            "218-555-0101",
        ),
        "account_number": "MRN-0042",
        "payer": "Blue Lake Health",
        "member_id": "XYZ123456789",
        "diagnoses": ("F33.2", "F41.1"),
        "lines": lines or (line(),),
        "billing": clinic,
        "facility": clinic,
        "tin": "74-3081562",
        "physician_signature": "Dr Mara Ellis",
        "signed_on": date(2026, 12, 10),
    }
    return Claim(**(base | kw))  # type: ignore[arg-type]


def one(c: Claim) -> dict[str, object]:
    (form,) = forms_of(c)
    return form


def test_it_names_the_insured_and_the_insurance() -> None:
    """Items 1, 1a, 4, 6, 7, 11, 11c: the patient is the insured unless told otherwise."""
    form = one(claim())
    assert form["1"] == "group" and form["1a"] == "XYZ123456789"
    assert form["4"] == form["2"] == {"last": "Rivera", "first": "Ana", "middle_initial": ""}
    assert form["6"] == "self" and form["7"] == form["5"]
    assert form["11"] == "" and form["11c"] == "Blue Lake Health"
    medicare = one(claim(payer="Medicare Part B", insurance_type="medicare"))
    assert medicare["11"] == "NONE"
    assert insurance_type_of("Medicare Part B") == "medicare"
    assert insurance_type_of("State Medicaid") == "medicaid"
    assert insurance_type_of("Blue Lake Health") == "group"


def test_it_writes_the_patient_with_a_four_digit_birth_year() -> None:
    """Items 2, 3 (MM/DD/YYYY and M/F), 5, 26 (the MRN as the account number)."""
    form = one(claim())
    assert form["3"] == {"birth_date": "03/07/1984", "sex": "F"}
    assert form["5"] == {
        "street": "4 Elm Street",
        "city": "Duluth",
        "state": "MN",
        "zip": "55803",
        "phone": "218-555-0101",
    }
    assert form["26"] == "MRN-0042"


def test_it_puts_signatures_on_file_and_the_physicians_name() -> None:
    """Items 12, 13 (signature on file), 27 (accept assignment), 31."""
    form = one(claim())
    assert form["12"] == {"signature": "SIGNATURE ON FILE", "date": "12/10/26"}
    assert form["13"] == "SIGNATURE ON FILE"
    assert form["27"] == "YES"
    assert form["31"] == {"signature": "Dr Mara Ellis", "date": "12/10/26"}


def test_it_lists_icd10_diagnoses_without_the_decimal_point() -> None:
    """Item 21: indicator 0 (ICD-10-CM), codes A-L, the decimal point implied."""
    form = one(claim())
    assert form["21"] == {"icd_indicator": "0", "A": "F332", "B": "F411"}


def test_it_writes_each_service_line() -> None:
    """Items 24A-24J: dates MM/DD/YY, place 11, code and modifiers, pointers, charge,
    units, the rendering NPI with its qualifier."""
    form = one(claim(line("99214", modifiers=("25",), pointers="AB", charge_cents=19500)))
    (service,) = form["24"]  # type: ignore[misc]
    assert service == {
        "24A": {"from": "12/09/26", "to": "12/09/26"},
        "24B": "11",
        "24C": "",
        "24D": {"code": "99214", "modifiers": ["25"]},
        "24E": "AB",
        "24F": "195.00",
        "24G": 1,
        "24H": "",
        "24I": "NPI",
        "24J": RENDERING_NPI,
        "shaded": "",
    }


def test_it_adds_the_ndc_in_the_shaded_area() -> None:
    """Item 24 shaded: N4, the 11-digit NDC (a zero pads the short part), the unit
    qualifier and the quantity."""
    drug = line("J3490", ndc="0409-2051-05", ndc_quantity=Decimal("34.200"), ndc_unit="ME")
    (service,) = one(claim(drug))["24"]  # type: ignore[misc]
    assert service["shaded"] == "N400409205105 ME34.2"
    assert ndc11("12345-678-90") == "12345067890"
    assert ndc11("12345-6789-1") == "12345678901"
    assert ndc11("12345-6789-01") == "12345678901"
    with pytest.raises(ClaimIncomplete) as bad_unit:
        forms_of(claim(replace(drug, ndc_unit="MG")))
    assert bad_unit.value.field == "ndc_unit"
    with pytest.raises(ClaimIncomplete) as bad_ndc:
        forms_of(claim(replace(drug, ndc="12-34")))
    assert bad_ndc.value.field == "ndc"


def test_it_gives_the_providers_their_identifiers() -> None:
    """Items 25 (EIN, digits only), 32/32a (service facility), 33/33a (billing); 24I/24J
    empty when the billing provider rendered the service."""
    (service,) = one(claim(line(rendering_npi="")))["24"]  # type: ignore[misc]
    assert (service["24I"], service["24J"]) == ("", "")
    form = one(claim())
    assert form["25"] == {"id": "743081562", "type": "EIN"}
    assert form["32"] == {
        "name": "Lakeside Ketamine",
        "address": ["12 Shore Road", "Duluth", "MN 55802"],
        "phone": "",
    }
    assert form["32a"] == form["33a"] == CLINIC_NPI


def test_it_totals_the_charges_and_what_was_paid() -> None:
    """Items 28 and 29."""
    form = one(claim(line(), line("J0013", units=56, charge_cents=70000), paid_cents=50000))
    assert form["28"] == "1606.00" and form["29"] == "500.00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"payer": " "}, "payer"),
        ({"member_id": ""}, "member_id"),
        ({"diagnoses": ()}, "diagnoses"),
        ({"diagnoses": ("F33.2", "not-a-code")}, "diagnoses"),
        ({"billing": Provider("Lakeside", "1234567890")}, "billing_npi"),
        ({"tin": "00-1234567"}, "tin"),
        ({"lines": ()}, "lines"),
        ({"lines": (line(rendering_npi="1234567890"),)}, "rendering_npi"),
        ({"lines": (line(pointers="C"),)}, "pointers"),
    ],
)
def test_it_refuses_a_claim_without_what_a_payer_needs(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(ClaimIncomplete) as refused:
        forms_of(replace(claim(), **change))  # type: ignore[arg-type]
    assert refused.value.field == field


CODES = st.sampled_from(["96365", "96366", "J3490", "G2082", "G2083", "J0013", "99213"])
LINES = st.builds(
    line,
    CODES,
    units=st.integers(min_value=1, max_value=84),
    charge_cents=st.integers(min_value=0, max_value=500_000),
)


@given(lines=st.lists(LINES, min_size=1, max_size=40), paid=st.integers(0, 10_000_000))
def test_it_puts_six_lines_a_form_in_order_and_totals_each(
    lines: list[ServiceLine], paid: int
) -> None:
    forms = forms_of(claim(*lines, paid_cents=paid))
    assert len(forms) == -(-len(lines) // LINES_PER_FORM)
    assert all(1 <= len(f["24"]) <= LINES_PER_FORM for f in forms)
    assert all(len(f["24"]) == LINES_PER_FORM for f in forms[:-1])
    codes = [s["24D"]["code"] for f in forms for s in f["24"]]
    assert codes == [x.code for x in lines]
    assert [(f["form"], f["forms"]) for f in forms] == [
        (i, len(forms)) for i in range(1, len(forms) + 1)
    ]
    for f in forms:
        total = sum(Decimal(s["24F"]) for s in f["24"])
        assert Decimal(f["28"]) == total
        assert Decimal(f["29"]) <= total
        assert {k: f[k] for k in ("1a", "2", "21", "33a")} == {
            k: forms[0][k] for k in ("1a", "2", "21", "33a")
        }
    charged = sum(x.charge_cents for x in lines)
    assert sum(Decimal(f["29"]) for f in forms) * 100 == min(paid, charged)


@given(lines=st.lists(LINES, min_size=1, max_size=20))
def test_it_writes_one_csv_row_per_line_with_the_claim_repeated(lines: list[ServiceLine]) -> None:
    rows = csv_rows(forms_of(claim(*lines)))
    assert len(rows) == len(lines)
    assert all(tuple(row) == CSV_COLUMNS for row in rows)
    assert {row["1a_insured_id"] for row in rows} == {"XYZ123456789"}
    assert [row["24D_code"] for row in rows] == [x.code for x in lines]
    assert {row["21A"] for row in rows} == {"F332"}
