"""What the front desk sees of the calendar: the chart's visits with their links, and
the week as a grid of days by chairs with each day's load."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import time_machine
from fastapi.testclient import TestClient

from tests.appointments.conftest import Booking
from tests.conftest import Persona

Api = Callable[[Persona], TestClient]


def _book(desk: TestClient, booking: Booking) -> str:
    url = f"/patients/{booking.patient_id}/plans/{booking.plan_id}/book"
    done = desk.post(url, data={"option": "0"}, follow_redirects=False)
    assert done.status_code == 303
    return str(done.headers["location"][-10:])  # the first visit's day


def test_it_lists_upcoming_and_past_visits_on_the_chart_with_the_links_each_role_may_open(
    api: Api, front_desk: Persona, nurse: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    _book(desk, booking)
    visits = desk.get(f"/api/v1/patients/{booking.patient_id}/appointments").json()["items"]
    first = visits[0]["id"]
    started = datetime.fromisoformat(visits[0]["starts_at"]) + timedelta(minutes=30)
    with time_machine.travel(started, tick=False):
        missed = api(nurse).post(
            f"/api/v1/appointments/{first}/session", json={"action": "no_show"}
        )
        assert missed.status_code == 201, missed.text
        session_id = missed.json()["id"]
        chart = desk.get(f"/patients/{booking.patient_id}").text
        nurse_chart = api(nurse).get(f"/patients/{booking.patient_id}").text
    section = chart.split('id="visits"')[1].split("</section>")[0]
    upcoming = section.split('class="list compact visits-upcoming"')[1].split("</table>")[0]
    past = section.split('class="list compact visits-past"')[1].split("</table>")[0]
    assert len(re.findall(r'href="/schedule/appointments/\d+"', upcoming)) == len(visits) - 1
    assert f'href="/schedule/appointments/{first}"' in past and "did not come" in past
    # Reading a session is reading the chart (the page and the API share the rule), so
    # the front desk may open it too; the link appears only where its route lets the role in.
    assert f'href="/sessions/{session_id}"' in section
    assert f'href="/sessions/{session_id}"' in nurse_chart


def test_it_shows_the_week_as_a_grid_of_days_by_chairs_with_the_days_load(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    day = _book(desk, booking)
    week = desk.get(f"/schedule/week?start={day}").text
    grid = week.split('class="week-grid"')[1].split("</table>")[0]
    assert grid.count('scope="col" class="day-head') == 7
    assert all(f">{chair.name}" in grid for chair in booking.chairs)
    assert "Lindqvist #1" in grid
    assert re.search(r"1 visit(s)?<br>\d+% chairs", grid)
    assert 'href="/schedule/appointments/' in grid
    empty = desk.get("/schedule/week?start=2020-01-06").text
    assert "0 visits" in empty or "closed" in empty
