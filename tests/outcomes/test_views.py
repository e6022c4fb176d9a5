"""The course page, the chart's link to it, and the dashboard's Booster suggested card
with its Accept and Dismiss."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from tests.conftest import Persona
from tests.outcomes.helpers import Api, course_patient, evaluate


def test_it_shows_the_course_in_words_with_a_timeline(
    api: Api, nurse: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    page = api(nurse).get(f"/patients/{patient_id}/course")
    assert page.status_code == 200
    assert "6 treatments from Sep 1, 2026 to Sep 18, 2026 (18 days)" in page.text
    assert "Patient Health Questionnaire-9" in page.text
    assert "<svg" in page.text and "<polyline" in page.text
    assert "Phq9" not in page.text and "phq9" not in re.sub(r'id="[^"]*"', "", page.text)
    # A nurse reads the suggestion but has no buttons.
    assert "back within 25% of the baseline of 20" in page.text
    assert ">Accept<" not in page.text
    chart = api(nurse).get(f"/patients/{patient_id}")
    assert f'href="/patients/{patient_id}/course"' in chart.text


def test_it_lists_the_suggestion_on_the_prescribers_dashboard(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    page = api(prescriber).get("/dashboard")
    assert page.status_code == 200
    assert "Booster suggested" in page.text
    assert "16 on Oct 20, 2026 and 17 on Oct 27, 2026" in page.text
    assert f'href="/patients/{patient_id}/course"' in page.text
    assert "Booster suggested" not in api(nurse).get("/dashboard").text


def _suggestion_id(page: str) -> int:
    found = re.search(r'action="/booster-suggestions/(\d+)/dismiss"', page)
    assert found is not None
    return int(found.group(1))


def test_it_needs_a_reason_to_dismiss_and_names_the_field(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    course_patient(api, nurse)
    evaluate(db)
    client = api(prescriber)
    suggestion_id = _suggestion_id(client.get("/dashboard").text)
    url = f"/booster-suggestions/{suggestion_id}/dismiss"
    refused = client.post(url, data={"reason": " ", "back": "dashboard"}, follow_redirects=False)
    assert refused.status_code == 422
    assert 'id="e-reason"' in refused.text and "Reason to dismiss" in refused.text
    done = client.post(
        url, data={"reason": "Life event, not relapse", "back": "dashboard"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    assert "No booster suggested." in client.get("/dashboard").text


def test_it_accepts_and_goes_on_to_a_new_plan(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    client = api(prescriber)
    page = client.get(f"/patients/{patient_id}/course").text
    suggestion_id = _suggestion_id(page)
    done = client.post(f"/booster-suggestions/{suggestion_id}/accept", follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/patients/{patient_id}/plans/new")
    assert client.get(done.headers["location"]).status_code == 200
    assert "Accepted" in client.get(f"/patients/{patient_id}/course").text
