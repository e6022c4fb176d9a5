"""Many front desks booking the same chair at the same time: exactly one wins, on
both databases (PostgreSQL's exclusion constraint; SQLite's trigger inside the
serialised write transaction)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from ketaclinic.appointments import service
from ketaclinic.appointments.models import Appointment, Chair
from ketaclinic.auth.models import User
from ketaclinic.auth.service import create_user, principal_for
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.errors import Conflict
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import PatientCreate
from ketaclinic.scheduling.model import SessionSpec
from tests.conftest import PASSWORD
from tests.patients.test_api import valid_patient

START = datetime(2031, 3, 4, 15, 0, tzinfo=UTC)


def test_it_lets_exactly_one_of_many_concurrent_bookings_have_the_chair(fresh_url: str) -> None:
    engine = (
        make_engine(fresh_url, pool_size=20)
        if "postgresql" in fresh_url
        else make_engine(fresh_url)
    )
    factory = make_sessionmaker(engine)
    with factory() as db:
        clinic = create_clinic(db, slug="busy", name="Busy", timezone="America/Chicago")
        desk = create_user(
            db,
            email="desk@busy.example.org",
            name="Desk",
            password=PASSWORD,
            role="front_desk",
            clinic=clinic,
        )
        db.flush()
        who = principal_for(db, desk)
        people = [
            patients.create_patient(
                db,
                who,
                PatientCreate(
                    **valid_patient(
                        given_name=f"P{n}", email=None, phone=None, birth_date=f"198{n}-03-21"
                    )
                ),
            ).id
            for n in range(10)
        ]
        chair = Chair(clinic_id=clinic.id, name="Chair 1")
        db.add(chair)
        db.commit()
        desk_id, chair_id = desk.id, chair.id
    results: list[str] = []
    lock = threading.Lock()

    def book(patient_id: int, offset: int) -> None:
        with factory() as db:
            desk = db.get(User, desk_id)
            patient = db.get(Patient, patient_id)
            chair = db.get(Chair, chair_id)
            assert desk is not None and patient is not None and chair is not None
            start = START + timedelta(minutes=offset)  # overlapping, not identical, times
            visit = service.Visit(
                1,
                chair,
                start,
                start + timedelta(minutes=15),
                start + timedelta(minutes=55),
                start + timedelta(minutes=95),
                SessionSpec(15, 40, 40),
            )
            try:
                service.book_visits(db, principal_for(db, desk), patient, None, [visit])
                db.commit()
                outcome = "booked"
            except Conflict as exc:
                db.rollback()
                outcome = exc.message
        with lock:
            results.append(outcome)

    threads = [
        threading.Thread(target=book, args=(pid, 5 * (n % 3))) for n, pid in enumerate(people)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("booked") == 1, results
    assert all("just booked by someone else" in r for r in results if r != "booked")
    with factory() as db:
        assert db.scalar(select(func.count()).select_from(Appointment)) == 1
        # The database itself refuses an overlap written behind the service's back.
        with pytest.raises(IntegrityError), db.begin_nested():
            db.execute(
                text(
                    "INSERT INTO appointments (clinic_id, patient_id, session_number, chair_id, "
                    "starts_at, setup_ends_at, administration_ends_at, ends_at, needs_long_chair, "
                    "needs_prescriber, status, escort_confirmed, created_at) SELECT clinic_id, "
                    "patient_id, 2, chair_id, starts_at, setup_ends_at, administration_ends_at, "
                    "ends_at, needs_long_chair, needs_prescriber, 'booked', escort_confirmed, "
                    "created_at FROM appointments"
                )
            )
    engine.dispose()
