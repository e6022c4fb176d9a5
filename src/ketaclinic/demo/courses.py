"""The demo's measured courses: a dozen patients per clinic had six infusions with a
PHQ-9 before each (remitters, responders, non-responders, a relapse), on Mondays and
Thursdays that were open days; one item-9 alert is left open, one acknowledged."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.time import utcnow
from ketaclinic.measures import service as measures
from ketaclinic.measures.schemas import ResponseIn, TreatmentIn
from ketaclinic.patients.models import Patient

# How a course of six infusions (twice weekly x 3 weeks, docs/clinical-references.md#dosing) goes:
# the PHQ-9 total at each visit as a fraction of baseline.
COURSES = {
    "remitter": [1.0, 0.8, 0.55, 0.35, 0.25, 0.15, 0.12],
    "responder": [1.0, 0.9, 0.75, 0.6, 0.5, 0.45, 0.42],
    "non-responder": [1.0, 1.0, 0.95, 0.9, 0.92, 0.88, 0.9],
    "relapse": [1.0, 0.7, 0.45, 0.4, 0.45, 0.7, 0.8],
}
INFUSION_DAYS = (0, 3, 7, 10, 14, 17)


def _phq9_answers(rng: random.Random, total: int, item9: int = 0) -> dict[str, int | bool]:
    """Item answers (0-3) that add up to ``total`` with item 9 as given."""
    remaining = max(0, min(24, total - item9))
    values = [0] * 8
    while remaining:
        slot = rng.randrange(8)
        if values[slot] < 3:
            values[slot] += 1
            remaining -= 1
    answers: dict[str, int | bool] = {f"phq9_{i + 1}": v for i, v in enumerate(values)}
    answers["phq9_9"] = item9
    return answers


def measurement_series(
    db: Session,
    rng: random.Random,
    staff: dict[Role, Principal],
    charts: list[Patient],
    tz: ZoneInfo,
    closed: set[date],
) -> None:
    """PHQ-9 before every infusion of a six-infusion course, for a dozen patients:
    remitters, responders, non-responders and a relapse; one safety alert is left
    open and one was acknowledged."""
    nurse = staff[Role.NURSE]
    kinds = list(COURSES)
    for index, patient in enumerate(charts[:12]):
        course = COURSES[kinds[index % len(kinds)]]
        baseline = rng.randint(15, 22)
        # Infusions start at a clinic-hours slot, local time, Mondays and Thursdays
        # (INFUSION_DAYS from a Monday), never on a holiday closure.
        visits = [*INFUSION_DAYS, INFUSION_DAYS[-1] + 7]  # and a follow-up a week after
        first_day = (utcnow().astimezone(tz) - timedelta(days=rng.randint(26, 60))).date()
        first_day -= timedelta(days=first_day.weekday())
        while any(first_day + timedelta(days=d) in closed for d in visits):
            first_day -= timedelta(days=7)
        start = datetime.combine(first_day, time(rng.choice((8, 9, 10, 11, 13, 14)), 0), tz)
        for visit, (day, fraction) in enumerate(zip(visits, course, strict=True)):
            at = start + timedelta(days=day)
            total = max(0, round(baseline * fraction + rng.uniform(-1, 1)))
            # One patient answers item 9 on the last visit: an alert still open.
            item9 = 1 if index == 2 and visit == len(visits) - 1 else 0
            if index == 5 and visit == 1:
                item9 = 1  # one answered it mid-course; a nurse has reviewed it since
            _row, alerts = measures.record_response(
                db,
                nurse,
                patient,
                ResponseIn(
                    instrument_id="phq9",
                    answers=_phq9_answers(rng, total, item9),
                    completed_at=at - timedelta(minutes=30),
                    completed_by="patient",
                ),
            )
            for alert in alerts:
                if index == 5:
                    measures.acknowledge(
                        db,
                        nurse,
                        patient,
                        alert.id,
                        "Spoke with the patient before the infusion: passive thoughts, no plan "
                        "or intent; safety plan reviewed with the escort; prescriber informed.",
                    )
            if visit < len(INFUSION_DAYS):
                measures.record_treatment(
                    db, nurse, patient, TreatmentIn(given_at=at, modality="iv_ketamine")
                )
