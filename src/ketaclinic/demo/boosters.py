"""A demo responder whose scores came back: so today's prescriber dashboard shows a
"Booster suggested" card (issue 20). One patient per clinic with no treatment yet gets
a six-infusion induction about seven weeks ago (PHQ-9 baseline 19, 8 a week after the
last infusion: a response), then 15 and 16 in the last two weeks: back within 25% of
baseline on two consecutive measures (clinical/boosters.yaml, the default rule). The
suggestion itself is stored by the booster job (``outcomes.jobs``), which the loader
runs once the clinic's history is in, as the worker would."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ketaclinic.demo.courses import INFUSION_DAYS, _phq9_answers
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role
from ketaclinic.kit.time import utcnow
from ketaclinic.measures import service as measures
from ketaclinic.measures.schemas import ResponseIn, TreatmentIn
from ketaclinic.patients.models import Patient

# (day from the first infusion, PHQ-9 total); the first infusion's day is day 0.
SCORES = ((0, 19), (7, 14), (14, 10), (24, 8), (38, 15), (45, 16))


def booster_history(
    db: Session,
    staff: dict[Role, Principal],
    charts: list[Patient],
    tz: ZoneInfo,
    closed: set[date],
    register: Callable[[], Patient],
    seed: int = 20,
) -> Patient:
    """The history on the first chart without a treatment (or on a chart ``register``
    makes when every one has had treatment); that chart."""
    nurse = staff[Role.NURSE]
    patient = next((p for p in charts if not measures.treatments(db, nurse, p)), None)
    if patient is None:
        patient = register()
    rng = random.Random(seed + patient.id)
    first_day = (utcnow().astimezone(tz) - timedelta(days=48)).date()
    first_day -= timedelta(days=first_day.weekday())  # a Monday, 48-54 days ago
    while any(first_day + timedelta(days=d) in closed for d in INFUSION_DAYS):
        first_day -= timedelta(days=7)
    start = datetime.combine(first_day, time(10, 0), tz)
    for day, total in SCORES:
        measures.record_response(
            db,
            nurse,
            patient,
            ResponseIn(
                instrument_id="phq9",
                answers=_phq9_answers(rng, total),
                completed_at=start + timedelta(days=day, minutes=-30),
                completed_by="patient",
            ),
        )
    for day in INFUSION_DAYS:
        measures.record_treatment(
            db,
            nurse,
            patient,
            TreatmentIn(given_at=start + timedelta(days=day), modality="iv_ketamine"),
        )
    return patient
