"""A claim's CMS-1500 forms (``cms1500.forms_of``) as CSV rows a clearinghouse takes:
one row per service line, the claim-level items repeated on each. Pure
(docs/clinical-references.md#cms-1500)."""

from __future__ import annotations

from typing import Any

from ketaclinic.clinical.billing.charges import POINTER_LETTERS

CSV_COLUMNS = (
    "form",
    "line",
    "payer",
    "1_insurance_type",
    "1a_insured_id",
    "2_patient_last",
    "2_patient_first",
    "3_birth_date",
    "3_sex",
    "4_insured_last",
    "4_insured_first",
    "5_patient_street",
    "5_patient_city",
    "5_patient_state",
    "5_patient_zip",
    "5_patient_phone",
    "6_relationship",
    "7_insured_street",
    "7_insured_city",
    "7_insured_state",
    "7_insured_zip",
    "11_group_number",
    "11a_insured_birth_date",
    "11a_insured_sex",
    "11c_plan_name",
    "12_signature",
    "13_signature",
    "21_icd_indicator",
    *(f"21{letter}" for letter in POINTER_LETTERS),
    "24A_from",
    "24A_to",
    "24B_place_of_service",
    "24D_code",
    "24D_modifiers",
    "24E_pointers",
    "24F_charge",
    "24G_units",
    "24I_qualifier",
    "24J_rendering_npi",
    "24_shaded",
    "25_tin",
    "25_type",
    "26_account",
    "27_accept_assignment",
    "28_total",
    "29_paid",
    "31_signature",
    "31_date",
    "32_facility_name",
    "32_facility_address",
    "32a_facility_npi",
    "33_billing_name",
    "33_billing_address",
    "33_billing_phone",
    "33a_billing_npi",
)


def csv_rows(forms: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One row per service line, the claim-level items repeated on each."""
    rows: list[dict[str, str]] = []
    for form in forms:
        for number, service in enumerate(form["24"], start=1):
            rows.append(_row(form, number, service))
    return rows


def _row(form: dict[str, Any], number: int, s: dict[str, Any]) -> dict[str, str]:
    patient, insured = form["2"], form["4"]
    home, insured_home = form["5"], form["7"]
    row = {
        "form": str(form["form"]),
        "line": str(number),
        "payer": form["payer"],
        "1_insurance_type": form["1"],
        "1a_insured_id": form["1a"],
        "2_patient_last": patient["last"],
        "2_patient_first": patient["first"],
        "3_birth_date": form["3"]["birth_date"],
        "3_sex": form["3"]["sex"],
        "4_insured_last": insured["last"],
        "4_insured_first": insured["first"],
        "5_patient_street": home["street"],
        "5_patient_city": home["city"],
        "5_patient_state": home["state"],
        "5_patient_zip": home["zip"],
        "5_patient_phone": home["phone"],
        "6_relationship": form["6"],
        "7_insured_street": insured_home["street"],
        "7_insured_city": insured_home["city"],
        "7_insured_state": insured_home["state"],
        "7_insured_zip": insured_home["zip"],
        "11_group_number": form["11"],
        "11a_insured_birth_date": form["11a"]["birth_date"],
        "11a_insured_sex": form["11a"]["sex"],
        "11c_plan_name": form["11c"],
        "12_signature": form["12"]["signature"],
        "13_signature": form["13"],
        "21_icd_indicator": form["21"]["icd_indicator"],
        **{f"21{letter}": form["21"].get(letter, "") for letter in POINTER_LETTERS},
        "24A_from": s["24A"]["from"],
        "24A_to": s["24A"]["to"],
        "24B_place_of_service": s["24B"],
        "24D_code": s["24D"]["code"],
        "24D_modifiers": " ".join(s["24D"]["modifiers"]),
        "24E_pointers": s["24E"],
        "24F_charge": s["24F"],
        "24G_units": str(s["24G"]),
        "24I_qualifier": s["24I"],
        "24J_rendering_npi": s["24J"],
        "24_shaded": s["shaded"],
        "25_tin": form["25"]["id"],
        "25_type": form["25"]["type"],
        "26_account": form["26"],
        "27_accept_assignment": form["27"],
        "28_total": form["28"],
        "29_paid": form["29"],
        "31_signature": form["31"]["signature"],
        "31_date": form["31"]["date"],
        "32_facility_name": form["32"]["name"],
        "32_facility_address": ", ".join(form["32"]["address"]),
        "32a_facility_npi": form["32a"],
        "33_billing_name": form["33"]["name"],
        "33_billing_address": ", ".join(form["33"]["address"]),
        "33_billing_phone": form["33"]["phone"],
        "33a_billing_npi": form["33a"],
    }
    return row
