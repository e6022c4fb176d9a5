"""The staff pages: protocol browser, plan builder, a plan with its actions, the
PK plot and the dose double-check screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.kit.time import today_in
from tests.conftest import CLINIC_TZ, Persona
from tests.plans.conftest import MOOD, plan_body

Api = Callable[[Persona], TestClient]


def _form(**overrides: str) -> dict[str, str]:
    return {k: str(v) for k, v in plan_body(**overrides).items()}


def test_it_browses_every_protocol_with_its_sources(api: Api, front_desk: Persona) -> None:
    page = api(front_desk).get("/protocols")
    assert page.status_code == 200
    for protocol in load_protocols().values():
        assert f'href="/protocols/{protocol.id}"' in page.text
    detail = api(front_desk).get("/protocols/esketamine_nasal").text
    assert "REMS" in detail and "Spravato prescribing information" in detail
    assert "56 or 84 mg" in detail
    assert api(front_desk).get("/protocols/nope").status_code == 404


def test_it_builds_a_plan_showing_sessions_dose_and_pump_rate(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    client = api(nurse)
    start = (today_in(CLINIC_TZ) + timedelta(days=1)).isoformat()
    page = client.get(
        f"/patients/{patient_id}/plans/new", params={"protocol_id": MOOD, "start_date": start}
    )
    assert page.status_code == 200
    assert "34.2 mg" in page.text and "51.3 mL/h" in page.text
    assert page.text.count("<tr") >= 7 and start in page.text
    assert f"/patients/{patient_id}/plans/preview.svg?protocol_id={MOOD}" in page.text
    svg = client.get(f"/patients/{patient_id}/plans/preview.svg", params={"protocol_id": MOOD})
    assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content
    saved = client.post(
        f"/patients/{patient_id}/plans/new", data=_form(start_date=start), follow_redirects=False
    )
    assert saved.status_code == 303
    assert re.fullmatch(rf"/patients/{patient_id}/plans/\d+", saved.headers["location"])


def test_it_shows_the_builders_errors_beside_the_fields(
    api: Api, nurse: Persona, patient_id: int
) -> None:
    page = api(nurse).post(f"/patients/{patient_id}/plans/new", data=_form(dose_amount="1.5"))
    assert page.status_code == 422
    assert 'id="e-dose_amount"' in page.text and "hard limit of 1 mg/kg" in page.text


def test_it_signs_from_the_plan_page_and_shows_the_pk_plot(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    saved = api(nurse).post(
        f"/patients/{patient_id}/plans/new", data=_form(), follow_redirects=False
    )
    url = saved.headers["location"]
    nurse_view = api(nurse).get(url).text
    assert "Awaiting a prescriber's signature." in nurse_view
    assert 'value="sign"' not in nurse_view
    signed = api(prescriber).post(f"{url}/status", data={"action": "sign"}, follow_redirects=False)
    assert signed.status_code == 303
    page = api(prescriber).get(url).text
    assert 'id="plan-status">signed' in page and f'src="{url}/pk.svg"' in page
    assert b"dissociative range" in api(nurse).get(f"{url}/pk.svg").content
    # The page names the model drawn and every model's clearance.
    assert "Drawn with <strong>Clements &amp; Nimmo (1981), 2 compartments</strong>" in page
    assert "clearance 27.6 mL/kg/min" in page and "clearance 36.0 mL/kg/min" in page
    assert b"Model drawn: Domino" in api(nurse).get(f"{url}/pk.svg?model=domino").content
    refused = api(nurse).post(f"{url}/status", data={"action": "pause"})
    assert refused.status_code == 409 and "cannot pause a signed plan" in refused.text


def test_it_double_checks_a_dose_on_the_page_without_showing_it_first(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    saved = api(nurse).post(
        f"/patients/{patient_id}/plans/new", data=_form(), follow_redirects=False
    )
    url = saved.headers["location"]
    api(prescriber).post(f"{url}/status", data={"action": "sign"})
    calculated = api(nurse).post(
        f"{url}/dose", data={"session_number": "1"}, follow_redirects=False
    )
    assert calculated.status_code == 303
    assert "34.2 mg" in api(nurse).get(f"{url}/dose").text
    second = api(prescriber).get(f"{url}/dose").text
    assert "34.2 mg" not in second and "hidden until you have re-entered" in second
    check_id = re.search(r"/dose/(\d+)/verify", second)
    assert check_id is not None
    verify = f"{url}/dose/{check_id.group(1)}/verify"
    wrong = api(prescriber).post(verify, data={"weight_kg": "68.4", "concentration_mg_per_ml": "2"})
    assert wrong.status_code == 200 and "does not match" in wrong.text
    right = api(prescriber).post(
        verify, data={"weight_kg": "68.4", "concentration_mg_per_ml": "1"}, follow_redirects=False
    )
    assert right.status_code == 303
    assert "released" in api(prescriber).get(f"{url}/dose").text


def test_it_revises_a_plan_from_its_page(
    api: Api, nurse: Persona, prescriber: Persona, patient_id: int
) -> None:
    saved = api(nurse).post(
        f"/patients/{patient_id}/plans/new", data=_form(), follow_redirects=False
    )
    url = saved.headers["location"]
    form = api(prescriber).get(f"{url}/revise").text
    assert "Revise plan (new version)" in form and 'value="0.5"' in form
    revised = api(prescriber).post(
        f"{url}/revise", data=_form(dose_amount="0.6"), follow_redirects=False
    )
    assert revised.status_code == 303 and revised.headers["location"] != url
    listing = api(nurse).get(f"/patients/{patient_id}/plans").text
    assert "v2" in listing and "v1" in listing
