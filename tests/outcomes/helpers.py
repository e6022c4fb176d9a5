"""A patient's course through the API: a baseline, a six-treatment induction, a
response at its end and two scores back near baseline (a booster suggestion)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ketaclinic.outcomes import jobs as booster_jobs
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]

TREATMENT_DAYS = (
    "2026-09-01",
    "2026-09-04",
    "2026-09-08",
    "2026-09-11",
    "2026-09-15",
    "2026-09-18",
)


def phq9(total: int) -> dict[str, int]:
    """PHQ-9 answers adding up to ``total`` (at most 24), item 9 always 0 (no alert)."""
    answers = {}
    left = total
    for n in range(1, 9):
        answers[f"phq9_{n}"] = min(3, left)
        left -= answers[f"phq9_{n}"]
    answers["phq9_9"] = 0
    return answers


def score(client: TestClient, patient_id: int, at: str, total: int) -> None:
    response = client.post(
        f"/api/v1/patients/{patient_id}/responses",
        json={"instrument_id": "phq9", "answers": phq9(total), "completed_at": at},
    )
    assert response.status_code == 201, response.text


def treat(client: TestClient, patient_id: int, at: str) -> None:
    response = client.post(
        f"/api/v1/patients/{patient_id}/treatments",
        json={"given_at": at, "modality": "iv_ketamine"},
    )
    assert response.status_code == 201, response.text


def course_patient(
    api: Api, nurse: Persona, *, relapse: bool = True, given_name: str = "Rosa"
) -> int:
    """Baseline 20 (Sep 1), six treatments Sep 1-18, 8 on Oct 1 (day 30: response),
    then, with ``relapse``, 16 and 17 in October: back within 25% of baseline."""
    client = api(nurse)
    patient = client.post(
        "/api/v1/patients", json=valid_patient(given_name=given_name, birth_date="1979-03-14")
    )
    assert patient.status_code == 201, patient.text
    patient_id = int(patient.json()["id"])
    course_history(client, patient_id, relapse=relapse)
    return patient_id


def course_history(client: TestClient, patient_id: int, *, relapse: bool = True) -> None:
    """The scores and treatments of ``course_patient`` on an existing chart."""
    score(client, patient_id, "2026-09-01T13:00:00Z", 20)
    for day in TREATMENT_DAYS:
        treat(client, patient_id, f"{day}T15:00:00Z")
    score(client, patient_id, "2026-09-22T15:00:00Z", 11)
    score(client, patient_id, "2026-10-01T15:00:00Z", 8)
    if relapse:
        score(client, patient_id, "2026-10-20T15:00:00Z", 16)
        score(client, patient_id, "2026-10-27T15:00:00Z", 17)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def evaluate(db: Session) -> tuple[int, int]:
    """One run of the booster job (outcomes.boosters) in the test's transaction; it
    commits as the job does (a savepoint here), so its audit events are written."""
    found = booster_jobs.evaluate_due(db)
    db.commit()
    return found
