"""Today's demo has a booster to decide on: each clinic's prescriber dashboard lists
the demo responder whose scores came back near baseline (demo.boosters)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.clinical.boosters import load_booster_rules
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.time import shifted_clock
from ketaclinic.outcomes import service


def test_it_suggests_a_booster_in_each_demo_clinic(db: Session) -> None:
    load_demo(db, solve_seconds=1)
    row = db.get(ClockShift, 1)
    assert row is not None
    policy = service.CoursePolicy(rules=load_booster_rules(), protocols=load_protocols(None))
    with shifted_clock(timedelta(seconds=row.shift_seconds)):
        for slug in ("lakeside", "mesa"):
            user = get_user_by_email(db, f"prescriber@{slug}.example.org")
            assert user is not None, slug
            found = service.pending(db, principal_for(db, user), policy)
            assert found, slug
            # The story's responder (PHQ-9 19, then 8, then 15 and 16), among the
            # history's own patients whose response is fading.
            words = [service.describe(suggestion, "America/Chicago") for suggestion, _ in found]
            assert any("15 on" in w and "16 on" in w and "baseline of 19" in w for w in words), (
                words
            )
