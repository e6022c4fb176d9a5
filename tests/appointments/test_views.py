"""The calendar's pages: book a series from the plan, see it on the day and week."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

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
