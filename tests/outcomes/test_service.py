"""The course service: clinic settings reach the course, a suggestion is stored once
per episode however often (or from however many processes) it is evaluated."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketaclinic.outcomes import repository
from tests.conftest import Persona
from tests.outcomes.helpers import Api, course_patient


def test_it_stores_an_episode_once(api: Api, nurse: Persona, db: Session) -> None:
    patient_id = course_patient(api, nurse, relapse=False)
    values = {
        "patient_id": patient_id,
        "rule_id": "near_baseline",
        "instrument_id": "phq9",
        "evidence_key": "phq9@2026-10-20T15:00:00+00:00",
        "evidence": "{}",
    }
    assert repository.add_suggestion(db, values) is not None
    assert repository.add_suggestion(db, values) is None


def test_it_reads_the_clinics_own_thresholds(
    api: Api, nurse: Persona, prescriber: Persona, admin: Persona
) -> None:
    patient_id = course_patient(api, nurse)
    for key, value in (("induction_min_sessions", "7"), ("booster_within_fraction", "0.1")):
        changed = api(admin).put(f"/api/v1/admin/settings/{key}", json={"value": value})
        assert changed.status_code == 200, changed.text
    body = api(prescriber).get(f"/api/v1/patients/{patient_id}/course").json()
    assert body["induction"]["completed"] is False
    assert body["induction"]["reason"] == "not completed: 6 of at least 7 treatments"
    # 16 and 17 are not within 10% of 20 (18 or more): no suggestion.
    assert body["suggestions"] == []
