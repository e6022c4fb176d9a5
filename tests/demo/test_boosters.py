"""Today's demo has a booster to decide on: each clinic's prescriber dashboard lists
the demo responder whose scores came back near baseline (demo.boosters)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.clinical.course import INSTRUMENTS
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.time import shifted_clock
from ketaclinic.outcomes import repository, service


def test_it_suggests_a_booster_in_each_demo_clinic(db: Session) -> None:
    load_demo(db, solve_seconds=1)
    row = db.get(ClockShift, 1)
    assert row is not None
    with shifted_clock(timedelta(seconds=row.shift_seconds)):
        for slug in ("lakeside", "mesa"):
            user = get_user_by_email(db, f"prescriber@{slug}.example.org")
            assert user is not None, slug
            found = service.pending(db, principal_for(db, user))
            assert found, slug
            # The story's responder (PHQ-9 19, then 8, then 15 and 16), among the
            # history's own patients whose response is fading.
            words = [service.describe(suggestion, "America/Chicago") for suggestion, _ in found]
            assert any("15 on" in w and "16 on" in w and "baseline of 19" in w for w in words), (
                words
            )


def test_it_stores_the_demos_suggestions_by_the_booster_job(db: Session) -> None:
    """The loader runs the job: the suggestions are stored (audited as the booster
    rules'), every treated chart is marked evaluated, and nothing is left for the sweep."""
    load_demo(db, solve_seconds=1)
    db.commit()  # a savepoint: the audit events are written
    user = get_user_by_email(db, "prescriber@lakeside.example.org")
    assert user is not None
    clinic_ids = list(principal_for(db, user).roles)
    suggest = select(AuditEvent.actor).where(
        AuditEvent.action == "patient.booster.suggest", AuditEvent.clinic_id.in_(clinic_ids)
    )
    assert set(db.scalars(suggest)) == {service.EVALUATOR}
    assert repository.to_evaluate(db, clinic_ids, INSTRUMENTS, 10) == []
