"""A series stays inside its protocol windows (issue 18, section 1): continuing a
partly booked series, refilling a hole, moving a visit, and what cannot be placed."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.appointments import reschedule as moves
from ketaclinic.appointments import series as windows
from ketaclinic.appointments import service
from ketaclinic.appointments.models import Appointment, WaitlistEntry
from ketaclinic.appointments.schemas import AvailabilityIn
from ketaclinic.auth.service import principal_for
from ketaclinic.clinical.treatment import Protocol, gaps_of, window_after, window_between
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.errors import Conflict
from ketaclinic.patients.models import Patient
from tests.appointments.conftest import Api, Booking
from tests.conftest import CLINIC_TZ, Persona

POLICY = service.SchedulePolicy()
PROTOCOL = "depression_iv_twice_weekly"  # session 1, then 5 each 2-4 days after the one before
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TUE_THU_MORNINGS = AvailabilityIn(weekdays=[1, 3], from_time="09:00", until_time="12:00")


def day_of(row: Appointment | service.Visit) -> date:
    return row.starts_at.astimezone(ZoneInfo(CLINIC_TZ)).date()


def patient_of(db: Session, booking: Booking) -> Patient:
    found = db.get(Patient, booking.patient_id)
    assert found is not None
    return found


def book_all(db: Session, who: Principal, app: FastAPI, booking: Booking) -> list[Appointment]:
    return service.book(
        db, who, patient_of(db, booking), booking.plan_id, 0, app.state.protocols, POLICY
    )


def assert_inside(protocol: Protocol, rows: dict[int, date]) -> None:
    gaps = gaps_of(protocol)
    for number, day in rows.items():
        gap, previous = gaps.get(number), rows.get(number - 1)
        if gap is not None and previous is not None:
            assert window_after(previous, gap).contains(day), (number, previous, day)


def test_it_continues_a_series_inside_the_window_after_the_session_booked(
    db: Session, app: FastAPI, front_desk: Persona, booking: Booking
) -> None:
    who = principal_for(db, front_desk.user)
    rows = book_all(db, who, app, booking)
    for row in rows[1:]:
        service.cancel(db, who, row.id, "the patient asked")
    first = day_of(rows[0])
    patient = patient_of(db, booking)
    protocol = app.state.protocols[PROTOCOL]
    # Mornings on two weekdays that session 2's window (2-4 days after session 1)
    # holds none of, whichever weekday session 1 fell on.
    in_window = {(first + timedelta(days)).weekday() for days in (2, 3, 4)}
    away = [day for day in range(7) if day not in in_window][:2]
    label = "/".join(WEEKDAY_NAMES[day] for day in away)
    [only] = service.propose(
        db,
        who,
        patient,
        booking.plan_id,
        app.state.protocols,
        POLICY,
        availability=AvailabilityIn(weekdays=away, from_time="09:00", until_time="12:00"),
    )
    assert only.visits == [] and [u.session_number for u in only.unplaced] == [2, 3, 4, 5, 6]
    second = only.unplaced[0]
    assert (second.earliest, second.latest) == (first + timedelta(2), first + timedelta(4))
    assert second.reason == "patient_days" and f"{label} 09:00\N{EN DASH}12:00" in second.message
    assert f"between {(first + timedelta(2)).day} and" in second.message
    assert {u.reason for u in only.unplaced[1:]} == {"after_unplaced"}
    # Any day: every session inside its window, counted from session 1 as booked.
    best = service.propose(db, who, patient, booking.plan_id, app.state.protocols, POLICY)[0]
    assert [v.session_number for v in best.visits] == [2, 3, 4, 5, 6] and not best.unplaced
    assert_inside(protocol, {1: first, **{v.session_number: day_of(v) for v in best.visits}})


def test_it_refills_a_hole_between_the_sessions_either_side(
    db: Session, app: FastAPI, front_desk: Persona, booking: Booking
) -> None:
    who = principal_for(db, front_desk.user)
    rows = {r.session_number: r for r in book_all(db, who, app, booking)}
    service.cancel(db, who, rows[3].id, "the patient is unwell")
    options = service.propose(
        db, who, patient_of(db, booking), booking.plan_id, app.state.protocols, POLICY
    )
    gaps = gaps_of(app.state.protocols[PROTOCOL])
    window = window_between(day_of(rows[2]), gaps[3], day_of(rows[4]), gaps[4])
    assert window is not None
    for option in options:
        [visit] = option.visits
        assert visit.session_number == 3 and window.contains(day_of(visit))


def test_it_never_books_part_of_a_series_silently(
    db: Session, app: FastAPI, front_desk: Persona, booking: Booking
) -> None:
    who = principal_for(db, front_desk.user)
    patient = patient_of(db, booking)
    mon_wed = AvailabilityIn(weekdays=[0, 2])
    with pytest.raises(Conflict, match=r"sessions fit\. Session \d: ") as refused:
        service.book(db, who, patient, booking.plan_id, 0, app.state.protocols, POLICY, mon_wed)
    assert "rest" in refused.value.fields
    rows = service.book(
        db, who, patient, booking.plan_id, 0, app.state.protocols, POLICY, mon_wed, rest="waitlist"
    )
    assert 0 < len(rows) < 6
    [entry] = [
        w for w, _p in repo.waitlist(db, [patient.clinic_id]) if w.plan_id == booking.plan_id
    ]
    assert isinstance(entry, WaitlistEntry) and entry.note.startswith("Not booked: Session ")
    assert_inside(app.state.protocols[PROTOCOL], {r.session_number: day_of(r) for r in rows})


def test_it_moves_a_visit_only_inside_its_neighbours_windows_or_with_a_prescribers_reason(
    db: Session,
    app: FastAPI,
    front_desk: Persona,
    nurse: Persona,
    prescriber: Persona,
    booking: Booking,
) -> None:
    desk = principal_for(db, front_desk.user)
    rows = {r.session_number: r for r in book_all(db, desk, app, booking)}
    protocols = app.state.protocols
    gaps = gaps_of(protocols[PROTOCOL])
    third = rows[3]
    window = window_between(day_of(rows[2]), gaps[3], day_of(rows[4]), gaps[4])
    assert window is not None
    _r, _p, inside = moves.reschedule_options(db, desk, third.id, POLICY, protocols)
    assert all(window.contains(day_of(v)) for v in inside)
    doctor = principal_for(db, prescriber.user)
    _r, _p, anywhere = moves.reschedule_options(db, doctor, third.id, POLICY, protocols, True)
    outside = next(v for v in anywhere if not window.contains(day_of(v)))
    move = (third.id, outside.starts_at, outside.chair.id, POLICY, protocols)
    attempt = db.begin_nested()
    with pytest.raises(Conflict, match="outside its window"):
        moves.reschedule(db, desk, *move)
    attempt.rollback()
    attempt = db.begin_nested()
    with pytest.raises(Conflict, match="only a prescriber"):
        moves.reschedule(db, principal_for(db, nurse.user), *move, override_reason="holiday")
    attempt.rollback()
    moved = moves.reschedule(db, doctor, *move, override_reason="patient travelling; agreed")
    # The override is recorded on each session now outside its window after the one
    # before it: the moved one, the next when the move left it too close or far, or both.
    events = repo.overrides(db, [moved.id, rows[4].id])
    assert 1 <= len(events) <= 2
    for event in events:
        assert event.reason == "patient travelling; agreed" and event.by_id == prescriber.user.id
        assert json.loads(event.detail)["days_after_previous"] not in range(2, 5)
    found = windows.outside(
        db, moved.clinic_id, booking.plan_id, protocols[PROTOCOL], ZoneInfo(CLINIC_TZ)
    )
    assert found and all(windows.overridden(db, r, p) for r, p in found)


def test_it_names_the_sessions_left_out_in_the_api_and_books_the_rest_only_when_asked(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    base = f"/api/v1/patients/{booking.patient_id}/plans/{booking.plan_id}"
    options = desk.get(f"{base}/availability?weekdays=0&weekdays=2").json()["items"]
    left = options[0]["unplaced"]
    assert left and {"session_number", "earliest", "latest", "reason", "message"} <= set(left[0])
    assert left[0]["reason"] in {"patient_days", "clinic_closed", "chairs"}
    body = {"option": 0, "availability": {"weekdays": [0, 2]}}
    refused = desk.post(f"{base}/appointments", json=body)
    assert refused.status_code == 409 and refused.json()["error"]["fields"]["rest"]
    booked = desk.post(f"{base}/appointments", json={**body, "rest": "waitlist"})
    assert booked.status_code == 201 and len(booked.json()) == len(options[0]["visits"])
    wrong = desk.post(f"{base}/appointments", json={**body, "rest": "drop"})
    assert wrong.status_code == 422


def test_it_shows_the_reason_and_the_choices_on_the_booking_page(
    api: Api, front_desk: Persona, prescriber: Persona, booking: Booking
) -> None:
    url = f"/patients/{booking.patient_id}/plans/{booking.plan_id}/book"
    page = api(front_desk).get(f"{url}?weekdays=0&weekdays=2").text
    assert "sessions fit." in page and "widen the patient" in page
    assert "and put the rest on the waitlist" in page and 'name="rest" value="waitlist"' in page
    assert 'id="outside-window"' not in page  # the front desk cannot override
    doctor = api(prescriber).get(f"{url}?weekdays=0&weekdays=2").text
    assert 'id="outside-window"' in doctor
    lifted = api(prescriber).get(f"{url}?weekdays=0&weekdays=2&outside_window=1").text
    assert 'name="override_reason"' in lifted


def test_it_shows_a_window_override_on_the_visit_and_the_day(
    db: Session,
    api: Api,
    app: FastAPI,
    front_desk: Persona,
    prescriber: Persona,
    booking: Booking,
) -> None:
    desk = principal_for(db, front_desk.user)
    rows = {r.session_number: r for r in book_all(db, desk, app, booking)}
    doctor = principal_for(db, prescriber.user)
    protocols = app.state.protocols
    gaps = gaps_of(protocols[PROTOCOL])
    window = window_between(day_of(rows[1]), gaps[2], day_of(rows[3]), gaps[3])
    assert window is not None
    _r, _p, anywhere = moves.reschedule_options(db, doctor, rows[2].id, POLICY, protocols, True)
    outside = next(v for v in anywhere if not window.contains(day_of(v)))
    moves.reschedule(
        db,
        doctor,
        rows[2].id,
        outside.starts_at,
        outside.chair.id,
        POLICY,
        protocols,
        override_reason="agreed with the patient",
    )
    db.commit()
    [event] = repo.overrides(db, [rows[2].id, rows[3].id])
    marked = rows[2] if event.appointment_id == rows[2].id else rows[3]
    visit = api(front_desk).get(f"/schedule/appointments/{marked.id}").text
    assert 'id="window-override"' in visit and "agreed with the patient" in visit
    day = api(front_desk).get(f"/schedule?date={day_of(marked).isoformat()}").text
    assert "outside window: agreed with the patient" in day
    chart = api(front_desk).get(f"/patients/{booking.patient_id}/plans/{booking.plan_id}").text
    assert "outside window: agreed with the patient" in chart


def test_every_proposed_series_keeps_the_plans_dated_windows(app: FastAPI) -> None:
    """The plan's dated windows and the scheduler's gaps are one definition."""
    from ketaclinic.plans.service import schedule
    from ketaclinic.scheduling.instances import sessions_of

    for protocol in app.state.protocols.values():
        rows = schedule(protocol, date(2027, 1, 4))
        specs = sessions_of(protocol)
        for (before, after), spec in zip(itertools.pairwise(rows), specs[1:], strict=False):
            start = date.fromisoformat(before["target"])
            assert date.fromisoformat(after["earliest"]) == start + timedelta(spec.gap_min_days)
            assert date.fromisoformat(after["latest"]) == start + timedelta(spec.gap_max_days)
