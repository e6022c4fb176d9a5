"""The staff pages: intake form, a patient's screenings, one screening with the
sign/override form, and the signing queue."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from ketaclinic.clinical.screening import FACTS
from ketaclinic.demo.data import CLEAR_INTAKE
from ketaclinic.screenings.service import DERIVED_FACTS
from ketaclinic.screenings.views import SECTIONS
from tests.conftest import Persona
from tests.patients.test_api import valid_patient
from tests.screenings.test_api import record, run

Api = Callable[[Persona], TestClient]


@pytest.fixture
def patient_id(api: Api, front_desk: Persona) -> int:
    return int(api(front_desk).post("/api/v1/patients", json=valid_patient()).json()["id"])


def clear_form(**overrides: str | list[str]) -> dict[str, str | list[str]]:
    """CLEAR_INTAKE as the intake form posts it."""
    form: dict[str, str | list[str]] = {}
    for name, value in CLEAR_INTAKE.items():
        if isinstance(value, bool):
            form[name] = "yes" if value else "no"
        elif isinstance(value, list):
            form[name] = value or ["none"]
        else:
            form[name] = str(value)
    form.update(overrides)
    return form


def test_it_asks_every_enterable_fact_once() -> None:
    asked = [name for _, names in SECTIONS for name in names]
    assert sorted(asked) == sorted(set(FACTS) - set(DERIVED_FACTS))


def test_it_saves_the_intake_form_and_goes_to_the_screenings(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    page = client.get(f"/patients/{patient_id}/intake")
    assert page.status_code == 200
    assert "Treatment-resistant depression (F32.x/F33.x)" in page.text
    assert page.text.count('<fieldset class="question') == len(FACTS) - len(DERIVED_FACTS)
    saved = client.post(
        f"/patients/{patient_id}/intake", data=clear_form(pregnant=""), follow_redirects=False
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/patients/{patient_id}/screenings"
    facts = client.get(f"/api/v1/patients/{patient_id}/intake").json()["facts"]
    assert "pregnant" not in facts and facts["medication_classes"] == []
    assert facts["systolic_bp_mmhg"] == 124
    # Reopening shows the answers as saved, "not asked" included.
    again = client.get(f"/patients/{patient_id}/intake").text
    assert 'name="pregnant" value="" checked' in again
    assert 'name="medication_classes" value="none" checked' in again


def test_it_shows_each_intake_error_beside_its_question(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    form = clear_form(
        medication_classes=["none", "maoi"], systolic_bp_mmhg="abc", diastolic_bp_mmhg="999"
    )
    page = api(nurse).post(f"/patients/{patient_id}/intake", data=form)
    assert page.status_code == 422
    assert "tick &#39;none of these&#39; or some of the list, not both" in page.text
    assert 'id="e-systolic_bp_mmhg"' in page.text and "enter a whole number (mmHg)" in page.text
    assert "must be in 20..200 (mmHg); got 999" in page.text
    assert api(nurse).get(f"/api/v1/patients/{patient_id}/intake").json()["id"] is None


def test_it_runs_a_screening_from_the_page_and_explains_it(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    form = clear_form(medication_classes=["lamotrigine"], systolic_bp_mmhg="")
    client.post(f"/patients/{patient_id}/intake", data=form)
    page = client.get(f"/patients/{patient_id}/screenings")
    assert "not screened" in page.text and "Run screening" in page.text
    ran = client.post(
        f"/patients/{patient_id}/screenings",
        data={"rule_set_id": "iv_ketamine_mood"},
        follow_redirects=False,
    )
    assert ran.status_code == 303
    detail = client.get(ran.headers["location"])
    assert "Needs review" in detail.text
    # The rule fired in words with its source; its id only in an attribute.
    assert 'data-rule="medication_blunts_response"' in detail.text
    assert ">medication_blunts_response<" not in detail.text
    assert "Clinical references, " in detail.text and "clinical-references.md" not in detail.text
    assert "Baseline systolic BP" in detail.text  # a missing fact, named
    assert (
        "Awaiting a prescriber" in detail.text
        and 'action="/patients' not in detail.text.split('id="signature"')[1]
    )


def test_it_refuses_an_unknown_rule_set_on_the_page(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    page = api(nurse).post(f"/patients/{patient_id}/screenings", data={"rule_set_id": "nope"})
    assert page.status_code == 422 and "unknown rule set" in page.text


def test_it_lets_a_prescriber_override_with_a_reason_on_the_page(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    record(api(nurse), patient_id, {**CLEAR_INTAKE, "psychosis_history": True})
    screening_id = run(api(nurse), patient_id).json()["id"]
    client = api(prescriber)
    url = f"/patients/{patient_id}/screenings/{screening_id}"
    assert 'name="reason"' in client.get(url).text
    refused = client.post(f"{url}/sign", data={"decision": "eligible", "reason": ""})
    assert refused.status_code == 422 and 'id="e-reason"' in refused.text
    reason = "Single episode 15 years ago, stable since; psychiatrist agrees."
    signed = client.post(
        f"{url}/sign", data={"decision": "eligible", "reason": reason}, follow_redirects=False
    )
    assert signed.status_code == 303
    page = client.get(url).text
    assert "override" in page and reason in page and "Pat Prescriber" in page
    chart = client.get(f"/patients/{patient_id}").text
    assert "Signed eligible by override." in chart


def test_it_says_on_the_page_when_the_intake_changed_before_signing(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    record(api(nurse), patient_id, CLEAR_INTAKE)
    screening_id = run(api(nurse), patient_id).json()["id"]
    record(api(nurse), patient_id, {**CLEAR_INTAKE, "raised_intraocular_pressure": True})
    url = f"/patients/{patient_id}/screenings/{screening_id}"
    page = api(prescriber).get(url).text
    assert "The intake changed since this screening ran (Raised intraocular pressure)" in page
    assert 'name="reason"' not in page
    # Posting anyway (an old tab) is refused with the reason on the page.
    late = api(prescriber).post(f"{url}/sign", data={"decision": "eligible"})
    assert late.status_code == 409 and "run the screening again" in late.text
    screenings = api(nurse).get(f"/patients/{patient_id}/screenings").text
    assert "Raised intraocular pressure" in screenings and "Re-screen" in screenings


def test_it_lists_screenings_awaiting_a_prescriber(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    screening_id = run(api(nurse), patient_id).json()["id"]
    page = api(prescriber).get("/screenings").text
    assert f"/patients/{patient_id}/screenings/{screening_id}" in page
    assert "Lindqvist, Maya" in page
