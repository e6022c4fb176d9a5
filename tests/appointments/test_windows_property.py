"""Whatever the front desk does to a series — book (on some days), move a visit
(to a suggested time or any free time), cancel, record a no-show — every booked
series stays inside its windows unless a prescriber's recorded reason says otherwise."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import reschedule as moves
from ketaclinic.appointments import series as windows
from ketaclinic.appointments import service
from ketaclinic.appointments.schemas import AvailabilityIn
from ketaclinic.auth.service import principal_for
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.patients.models import Patient
from tests.appointments.conftest import Booking
from tests.conftest import CLINIC_TZ, Persona

POLICY = service.SchedulePolicy(online_time_limit_s=0.2)
DAYS = st.sampled_from([[0, 1, 2, 3, 4], [1, 3], [0, 2, 4], [0, 2], [2, 3, 4]])
STEPS = st.one_of(
    st.tuples(st.just("book"), DAYS, st.booleans()),
    st.tuples(
        st.sampled_from(["move", "move_anywhere", "override"]), st.integers(1, 6), st.integers(0, 4)
    ),
    st.tuples(st.sampled_from(["cancel", "no_show"]), st.integers(1, 6), st.just(0)),
)


def run(
    db: Session, who: Principal, doctor: Principal, app: FastAPI, booking: Booking, step: tuple
) -> None:
    kind, arg, extra = step
    patient = db.get(Patient, booking.patient_id)
    assert patient is not None
    protocols = app.state.protocols
    live = {a.session_number: a for a in repo.of_plan(db, [patient.clinic_id], booking.plan_id)}
    if kind == "book":
        service.book(
            db,
            who,
            patient,
            booking.plan_id,
            0,
            protocols,
            POLICY,
            AvailabilityIn(weekdays=arg),
            rest="waitlist" if extra else None,
        )
    elif arg in live and kind in ("move", "move_anywhere"):
        anywhere = kind == "move_anywhere"
        _r, _p, options = moves.reschedule_options(
            db, who, live[arg].id, POLICY, protocols, outside_window=anywhere
        )
        if options:
            chosen = options[extra % len(options)]
            moves.reschedule(
                db, who, live[arg].id, chosen.starts_at, chosen.chair.id, POLICY, protocols
            )
    elif arg in live and kind == "cancel":
        service.cancel(db, who, live[arg].id, "changed plans")
    elif arg in live and kind == "no_show":
        service.no_show(db, who, live[arg].id)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEPS, min_size=1, max_size=5))
def test_any_sequence_keeps_every_booked_series_inside_its_windows(
    db: Session,
    app: FastAPI,
    front_desk: Persona,
    prescriber: Persona,
    booking: Booking,
    steps: list[tuple],
) -> None:
    who, doctor = principal_for(db, front_desk.user), principal_for(db, prescriber.user)
    protocol = app.state.protocols["depression_iv_twice_weekly"]
    example = db.begin_nested()
    try:
        for step in steps:
            attempt = db.begin_nested()
            try:
                run(db, who, doctor, app, booking, step)
            except KetaClinicError:
                attempt.rollback()  # refused: nothing of it is stored
            else:
                attempt.commit()
            found = windows.outside(
                db, front_desk.clinic.id, booking.plan_id, protocol, ZoneInfo(CLINIC_TZ)
            )
            assert all(windows.overridden(db, row, before) for row, before in found), step
    finally:
        example.rollback()
