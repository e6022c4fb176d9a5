"""Booking a plan's series into the calendar, and changing one visit."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from ketaclinic.appointments import service
from ketaclinic.auth.service import principal_for
from ketaclinic.kit.errors import Conflict
from ketaclinic.kit.time import today_in
from ketaclinic.patients.models import Patient
from ketaclinic.scheduling.instances import sessions_of
from tests.appointments.conftest import Booking
from tests.conftest import CLINIC_TZ, Persona

POLICY = service.SchedulePolicy()


def test_it_proposes_the_series_inside_its_windows_and_books_the_best(
    db: Session, app: FastAPI, nurse: Persona, booking: Booking
) -> None:
    who = principal_for(db, nurse.user)
    patient = db.get(Patient, booking.patient_id)
    assert patient is not None
    protocols = app.state.protocols
    options = service.propose(db, who, patient, booking.plan_id, protocols, POLICY)
    assert 1 <= len(options) <= 3
    best = options[0].visits
    assert [v.session_number for v in best] == [1, 2, 3, 4, 5, 6]
    days = [v.starts_at.date() for v in best]
    specs = sessions_of(protocols["depression_iv_twice_weekly"])
    for (earlier, later), spec in zip(itertools.pairwise(days), specs[1:], strict=True):
        assert spec.gap_min_days <= (later - earlier).days <= spec.gap_max_days
    assert best[0].starts_at.date() >= today_in(CLINIC_TZ) - timedelta(days=1)
    rows = service.book(db, who, patient, booking.plan_id, 0, protocols, POLICY)
    assert [r.session_number for r in rows] == [1, 2, 3, 4, 5, 6]
    with pytest.raises(Conflict, match="Every session of this plan is booked"):
        service.propose(db, who, patient, booking.plan_id, protocols, POLICY)


def test_it_takes_the_objective_weights_from_the_settings(tmp_path: object) -> None:
    from pydantic import ValidationError

    from ketaclinic.settings import Settings

    chosen = Settings(schedule_weights={"day_to_first": 25}, nurse_capacity_k=4)
    policy = service.SchedulePolicy.from_settings(chosen)
    assert (policy.weights.day_to_first, policy.weights.booked_session) == (25, 1000)
    assert policy.nurse_capacity_k == 4
    with pytest.raises(ValidationError, match="unknown weights"):
        Settings(schedule_weights={"speed": 1})
