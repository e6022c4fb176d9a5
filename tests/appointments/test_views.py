"""The calendar's pages: book a series from the plan, see it on the day and week."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments import repository as repo
from ketaclinic.audit.models import AuditEvent
from tests.appointments.conftest import Booking
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def test_it_books_from_the_plan_and_shows_the_day_week_and_visit(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    url = f"/patients/{booking.patient_id}/plans/{booking.plan_id}/book"
    dialog = desk.get(url).text
    assert "Proposed" in dialog and "Chair" in dialog
    done = desk.post(url, data={"option": "0"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/schedule?date=")
    day = desk.get(done.headers["location"]).text
    assert "Lindqvist #1" in day and "Nurse load" in day and 'id="prescriber-on-site"' in day
    visit = day.split('href="/schedule/appointments/')[1].split('"')[0]
    page = desk.get(f"/schedule/appointments/{visit}").text
    assert "Reschedule" in page and "Confirm the escort" in page
    confirmed = desk.post(f"/schedule/appointments/{visit}/escort", data={"escort": "Erik"})
    assert 'id="escort">confirmed' in confirmed.text
    refused = desk.post(f"/schedule/appointments/{visit}/cancel", data={"reason": ""})
    assert refused.status_code == 422 and "at least 3 characters" in refused.text
    week = desk.get(f"/schedule/week?start={done.headers['location'][-10:]}").text
    assert "Lindqvist #1" in week
    bad = desk.get("/schedule?date=tomorrow")
    assert bad.status_code == 422


def test_it_says_when_the_plan_is_fully_booked(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    url = f"/patients/{booking.patient_id}/plans/{booking.plan_id}/book"
    desk.post(url, data={"option": "0"})
    assert "Every session of this plan is booked" in desk.get(url).text
    again = desk.post(url, data={"option": "0"})
    assert again.status_code == 409


def test_it_proposes_again_for_the_patients_days_and_keeps_them_when_booking(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    url = f"/patients/{booking.patient_id}/plans/{booking.plan_id}/book"
    page = desk.get(f"{url}?weekdays=0&weekdays=2&from_time=09:00&until_time=12:00").text
    assert "Mon " in page and "Tue " not in page.split('id="option-0"')[1].split("</form>")[0]
    wrong = desk.get(f"{url}?from_time=12:00&until_time=09:00")
    assert "until_time must be after from_time" in wrong.text
    # Mon/Wed leaves 5 days from a Wednesday to the Monday after: past the 4-day window.
    form = {"option": "0", "weekdays": ["0", "2"], "from_time": "09:00", "until_time": "12:00"}
    partial = desk.post(url, data=form, follow_redirects=False)
    assert partial.status_code == 409 and "sessions fit" in partial.text
    assert "put the rest on the waitlist" in partial.text
    done = desk.post(url, data={**form, "rest": "waitlist"}, follow_redirects=False)
    assert done.status_code == 303
    rows = desk.get(f"/api/v1/patients/{booking.patient_id}/appointments").json()["items"]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(front_desk.clinic.timezone)
    assert {datetime.fromisoformat(r["starts_at"]).astimezone(zone).weekday() for r in rows} <= {
        0,
        2,
    }


def test_it_sets_the_days_roster_from_the_roster_page(
    api: Api, front_desk: Persona, nurse: Persona, prescriber: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    page = desk.get("/schedule/roster?date=2026-12-01").text
    assert "no roster yet" in page and "Nia Nurse" in page
    saved = desk.post(
        "/schedule/roster?date=2026-12-01",
        data={
            f"on_{nurse.user.id}": "on",
            f"starts_{nurse.user.id}": "09:00",
            f"ends_{nurse.user.id}": "15:00",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    day = desk.get("/schedule?date=2026-12-01").text
    assert "1 nurse on shift" in day and "no prescriber on site" in day
    bad = desk.post(
        "/schedule/roster?date=2026-12-01",
        data={
            f"on_{prescriber.user.id}": "on",
            f"starts_{prescriber.user.id}": "15:00",
            f"ends_{prescriber.user.id}": "09:00",
        },
    )
    assert bad.status_code == 422 and "the shift must start before it ends" in bad.text


def test_it_refuses_to_book_times_that_changed_since_they_were_shown(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    url = f"/patients/{booking.patient_id}/plans/{booking.plan_id}/book"
    stale = desk.post(url, data={"option": "0", "expect": "1@2020-01-01T09:00:00+00:00"})
    assert stale.status_code == 409 and "The calendar changed" in stale.text
    shown = desk.get(url).text.split('name="expect" value="')[1].split('"')[0]
    assert (
        desk.post(url, data={"option": "0", "expect": shown}, follow_redirects=False).status_code
        == 303
    )


def test_it_fills_a_years_closures_from_the_clinics_public_holidays_on_the_roster_page(
    api: Api, db: Session, front_desk: Persona, nurse: Persona
) -> None:
    front_desk.clinic.subdivision = "TX"
    db.flush()
    desk = api(front_desk)
    page = desk.get("/schedule/roster?date=2026-12-01").text
    assert 'id="holidays"' in page and "public holidays of US-TX" in page
    filled = desk.post("/schedule/roster/holidays?date=2026-12-01", data={"year": "2027"})
    assert filled.status_code == 200 and "9 closures added for 2027." in filled.text
    closed = repo.closures(db, front_desk.clinic.id, date(2027, 1, 1), date(2028, 1, 1))
    days = {c.day for c in closed}
    assert date(2027, 11, 25) in days and len(days) == 9
    filled_events = select(AuditEvent.detail).where(AuditEvent.action == "schedule.holidays_filled")
    audited = db.scalars(filled_events).all()
    assert len(audited) == 1 and json.loads(audited[0])["subdivision"] == "TX"
    bad = desk.post("/schedule/roster/holidays?date=2026-12-01", data={"year": "27"})
    assert bad.status_code == 422 and "give a year between 2000 and 2100" in bad.text
    refused = api(nurse).post("/schedule/roster/holidays", data={"year": "2027"})
    assert refused.status_code == 403
