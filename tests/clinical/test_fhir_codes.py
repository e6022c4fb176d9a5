"""The codes the FHIR server writes: verified codes where we have them, our own code
system (never a guessed LOINC code) where we do not."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical import fhir_codes as fc
from ketaclinic.clinical.chairside.lifecycle import STATES
from ketaclinic.clinical.scales import load_instruments


def test_it_codes_the_vital_signs_with_the_us_core_loinc_codes() -> None:
    codes = {key: v.code.code for key, v in fc.VITALS.items()}
    assert codes == {
        "bp": "85354-9",
        "hr": "8867-4",
        "rr": "9279-1",
        "spo2": "59408-5",
        "weight": "29463-7",
        "height": "8302-2",
    }
    assert (fc.SYSTOLIC.code, fc.DIASTOLIC.code, fc.SPO2.code) == ("8480-6", "8462-4", "2708-6")
    assert all(v.code.system == fc.LOINC for v in fc.VITALS.values())
    assert all(v.profile.endswith("|6.1.0") for v in fc.VITALS.values())


def test_it_codes_the_scores_by_loinc_only_where_the_instrument_has_a_verified_code() -> None:
    for instrument in load_instruments().values():
        code = fc.score_code(instrument.id, instrument.name, instrument.loinc_total)
        if instrument.loinc_total:
            assert (code.system, code.code) == (fc.LOINC, instrument.loinc_total)
        else:
            assert (code.system, code.code) == (fc.INSTRUMENT_SCORE_SYSTEM, instrument.id)
    phq9 = load_instruments()["phq9"]
    assert fc.score_code("phq9", phq9.name, phq9.loinc_total).code == "44261-6"
    assert fc.item_code("phq9_9", "item 9").code == "44260-8"
    assert fc.item_code("gad7_1", "Feeling nervous").system == fc.INSTRUMENT_ITEM_SYSTEM


def test_it_codes_ketamine_by_its_rxnorm_ingredient_and_esketamine_by_its_verified_form() -> None:
    assert fc.DRUGS["ketamine"].code.code == "6130"
    assert fc.DRUGS["esketamine"].code.code == "2201623"
    assert {fc.MODALITY[m][0] for m in fc.MODALITY} == set(fc.DRUGS)
    assert {fc.MODALITY[m][1] for m in fc.MODALITY} <= set(fc.ROUTES)


@given(st.sampled_from(STATES))
def test_it_gives_every_session_state_an_encounter_status(state: str) -> None:
    assert fc.encounter_status(state) in {"planned", "in-progress", "finished", "cancelled"}


@given(st.sampled_from(["female", "male", "intersex", "unknown"]))
def test_it_gives_every_sex_at_birth_a_us_core_birth_sex(sex: str) -> None:
    assert fc.birth_sex(sex) in {"F", "M", "UNK"}
    assert fc.GENDER[sex] in {"female", "male", "other", "unknown"}
