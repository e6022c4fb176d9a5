"""Booster suggestions are made when a score arrives, by the job ``outcomes.boosters``
(enqueued after the recording commits, and every minute as the backstop), never when
the dashboard opens; a dismissed suggestion is not raised again for the same evidence."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.kit import jobs
from ketaclinic.outcomes import jobs as booster_jobs
from ketaclinic.outcomes import repository, service
from ketaclinic.outcomes.models import BoosterEvaluation, BoosterSuggestion
from ketaclinic.settings import Settings
from tests.conftest import Persona
from tests.outcomes.helpers import Api, course_patient, evaluate, score, treat


@pytest.fixture
def memory() -> Iterator[jobs.Runner]:
    made = jobs.memory_runner(immediate=False)
    before = jobs.use_runner(made)
    yield made
    jobs.use_runner(before)


@pytest.fixture
def on_this_db(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job's session is the test's (its commits are savepoints)."""

    @contextmanager
    def this_session(_settings: Settings | None = None) -> Iterator[Session]:
        yield db
        db.commit()

    monkeypatch.setattr(jobs, "job_session", this_session)


def _suggestions(db: Session, patient_id: int) -> list[BoosterSuggestion]:
    stmt = select(BoosterSuggestion).where(BoosterSuggestion.patient_id == patient_id)
    return list(db.scalars(stmt.order_by(BoosterSuggestion.id)))


def _run_queued(memory: jobs.Runner) -> list[str]:
    """Run what was enqueued, as the worker would; the names of the jobs run."""
    names = []
    while (task := memory.huey.dequeue()) is not None:
        names.append(task.args[0])
        memory.huey.execute(task)
    return names


def test_it_evaluates_when_a_score_is_recorded_and_the_dashboard_only_reads(
    api: Api,
    nurse: Persona,
    prescriber: Persona,
    db: Session,
    memory: jobs.Runner,
    on_this_db: None,
) -> None:
    booster_jobs.install()
    patient_id = course_patient(api, nurse)
    # Nothing is stored before the job runs: the dashboard evaluates nothing.
    link = f'href="/patients/{patient_id}/course"'
    assert link not in api(prescriber).get("/dashboard").text
    assert _suggestions(db, patient_id) == []
    assert booster_jobs.BOOSTER_JOB in _run_queued(memory)
    [stored] = _suggestions(db, patient_id)
    page = api(prescriber).get("/dashboard").text
    assert link in page and "16 on Oct 20, 2026 and 17 on Oct 27, 2026" in page
    audited = select(AuditEvent).where(
        AuditEvent.patient_id == patient_id, AuditEvent.action == "patient.booster.suggest"
    )
    [event] = db.scalars(audited)
    assert event.actor == service.EVALUATOR and event.resource_id == str(stored.id)


def test_it_catches_a_lost_enqueue_every_minute(
    api: Api, nurse: Persona, db: Session, on_this_db: None
) -> None:
    before = jobs.use_runner(None)  # no queue: every enqueue is lost
    try:
        booster_jobs.install()
        patient_id = course_patient(api, nurse)
    finally:
        jobs.use_runner(before)
    assert booster_jobs.BOOSTER_JOB in jobs.EVERY_MINUTE
    jobs.JOBS[booster_jobs.BOOSTER_JOB]()
    assert len(_suggestions(db, patient_id)) == 1
    mark = db.get(BoosterEvaluation, patient_id)
    assert mark is not None and mark.response_id > 0 and mark.treatment_id > 0
    jobs.JOBS[booster_jobs.BOOSTER_JOB]()  # nothing new: nothing stored again
    assert len(_suggestions(db, patient_id)) == 1


def test_it_evaluates_again_when_treatments_are_entered_after_the_scores(
    api: Api, nurse: Persona, db: Session
) -> None:
    client = api(nurse)
    patient_id = course_patient(api, nurse, relapse=False)
    evaluate(db)
    assert _suggestions(db, patient_id) == []
    # A paper record: two treatments entered late, then the scores that relapse.
    score(client, patient_id, "2026-10-20T15:00:00Z", 16)
    score(client, patient_id, "2026-10-27T15:00:00Z", 17)
    evaluate(db)
    assert len(_suggestions(db, patient_id)) == 1
    treat(client, patient_id, "2026-10-28T15:00:00Z")  # a booster: the sweep sees it
    due = [p.id for p, _r, _t in repository.to_evaluate(db, [nurse.clinic.id], ["phq9"], 500)]
    assert patient_id in due
    evaluate(db)
    assert patient_id not in [
        p.id for p, _r, _t in repository.to_evaluate(db, [nurse.clinic.id], ["phq9"], 500)
    ]


def test_it_never_raises_a_dismissed_suggestion_again_for_the_same_evidence(
    api: Api, nurse: Persona, prescriber: Persona, db: Session
) -> None:
    patient_id = course_patient(api, nurse)
    evaluate(db)
    [s] = _suggestions(db, patient_id)
    dismissed = api(prescriber).post(
        f"/api/v1/booster-suggestions/{s.id}/dismiss", json={"reason": "Life event, not relapse"}
    )
    assert dismissed.status_code == 201, dismissed.text
    # Another score in the same run is the same evidence (the episode's first score).
    score(api(nurse), patient_id, "2026-11-03T15:00:00Z", 18)
    evaluate(db)
    # ... and so is evaluating every patient again (ketaclinic outcomes evaluate).
    seen, _new = service.evaluate_all(db, [nurse.clinic.id], booster_jobs.policy(Settings()))
    assert seen >= 1
    assert [x.id for x in _suggestions(db, patient_id)] == [s.id]
    assert api(prescriber).get("/api/v1/booster-suggestions").json()["total"] == 0
