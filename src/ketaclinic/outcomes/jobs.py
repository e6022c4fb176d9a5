"""Booster rules evaluated when a score arrives, not when a page opens.

Recording a questionnaire response or a treatment (``measures``, any path: staff, API,
the portal, the patient's link) calls ``measures.events.recorded``; the listener
installed here asks for the job ``outcomes.boosters`` after that transaction commits
(``kit.jobs.enqueue_after_commit``). The job, which the worker also runs every minute,
evaluates every patient with a response or treatment newer than their last evaluation
(``service.evaluate_due``), so an enqueue that was lost, or a process that never
installed the listener, delays a suggestion by a minute at most.
``ketaclinic outcomes evaluate [--clinic SLUG]`` evaluates every patient again (after
a clinic changes its booster thresholds). The dashboard only reads what was stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.clinic_data import load as load_clinic_data
from ketaclinic.clinical.boosters import load_booster_rules
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit import jobs
from ketaclinic.measures import events
from ketaclinic.outcomes import service
from ketaclinic.settings import Settings, get_settings

BOOSTER_JOB = "outcomes.boosters"


def policy(settings: Settings) -> service.CoursePolicy:
    """The booster rules and the deployment's protocols (the clinic's own too)."""
    return service.CoursePolicy(
        rules=load_booster_rules(), protocols=load_clinic_data(settings).protocols
    )


def every_clinic(db: Session) -> list[int]:
    return list(db.scalars(select(Clinic.id).order_by(Clinic.id)))


def _enqueue(db: Session, _patient_id: int) -> None:
    jobs.enqueue_after_commit(db, BOOSTER_JOB)


def evaluate_due(
    db: Session, settings: Settings | None = None, clinic_ids: list[int] | None = None
) -> tuple[int, int]:
    """One run of the job in ``db`` (system work: every clinic, or these): (patients,
    new suggestions)."""
    clinics = every_clinic(db) if clinic_ids is None else clinic_ids
    return service.evaluate_due(db, clinics, policy(settings or get_settings()))


def install() -> None:
    """Listen for recorded scores and treatments, and register the job (run every
    minute too). The app and the worker call it at start-up; calling it again is harmless."""
    events.on_recorded(_enqueue)

    @jobs.register(BOOSTER_JOB, every_minute=True)
    def boosters() -> None:
        with jobs.job_session() as db:
            evaluate_due(db)
