"""Availability, booking a series, and changing one visit through the API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from ketaclinic.kit.time import today_in
from tests.appointments.conftest import Booking, signed_plan
from tests.conftest import CLINIC_TZ, Persona

Api = Callable[[Persona], TestClient]


def test_it_offers_options_books_the_chosen_one_and_lists_the_day(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    base = f"/api/v1/patients/{booking.patient_id}/plans/{booking.plan_id}"
    options = desk.get(f"{base}/availability").json()["items"]
    assert [o["option"] for o in options] == list(range(len(options)))
    assert len(options[0]["visits"]) == 6
    booked = desk.post(f"{base}/appointments", json={"option": 1 if len(options) > 1 else 0})
    assert booked.status_code == 201
    rows = booked.json()
    first_day = rows[0]["starts_at"][:10]
    day = desk.get(f"/api/v1/schedule/day?on={first_day}").json()["items"]
    assert rows[0]["id"] in [a["id"] for a in day]
    again = desk.post(f"{base}/appointments", json={"option": 0})
    assert again.status_code == 409 and "Every session" in again.json()["error"]["message"]


def test_it_refuses_to_book_an_unsigned_plan(
    api: Api, nurse: Persona, prescriber: Persona, booking: Booking
) -> None:
    pid, plan = signed_plan(api, nurse, prescriber, given_name="Ines")
    stop = {"action": "stop", "reason": "Patient declined."}
    stopped = api(prescriber).post(f"/api/v1/patients/{pid}/plans/{plan}/status", json=stop)
    assert stopped.status_code in (200, 201)
    refused = api(nurse).get(f"/api/v1/patients/{pid}/plans/{plan}/availability")
    assert refused.status_code == 409 and refused.json()["error"]["fields"] == {
        "plan_id": "the plan is stopped"
    }


def test_it_reschedules_to_a_suggested_time_cancels_and_offers_the_slot_to_the_waitlist(
    api: Api, front_desk: Persona, nurse: Persona, prescriber: Persona, booking: Booking
) -> None:
    desk = api(front_desk)
    base = f"/api/v1/patients/{booking.patient_id}/plans/{booking.plan_id}"
    [first, *_rest] = desk.post(f"{base}/appointments", json={"option": 0}).json()
    url = f"/api/v1/appointments/{first['id']}"
    suggestions = desk.get(f"{url}/suggestions").json()["items"]
    assert suggestions and all(s["starts_at"] != first["starts_at"] for s in suggestions)
    to = {"starts_at": suggestions[0]["starts_at"], "chair_id": suggestions[0]["chair_id"]}
    moved = desk.post(f"{url}/reschedule", json=to)
    assert moved.status_code == 200 and moved.json()["starts_at"] == suggestions[0]["starts_at"]
    wrong = desk.post(f"{url}/reschedule", json={**to, "starts_at": "2020-01-01T09:00:00Z"})
    assert wrong.status_code == 422 and "starts_at" in wrong.json()["error"]["fields"]
    assert desk.post(f"{url}/escort", json={"escort": "Erik Lindqvist"}).json()["escort_confirmed"]
    assert desk.post(f"{url}/no-show").status_code == 409  # it has not started yet
    other, other_plan = signed_plan(api, nurse, prescriber, given_name="Lena")
    waiting = desk.post(
        f"/api/v1/patients/{other}/plans/{other_plan}/waitlist",
        json={"note": "Any weekday morning."},
    )
    assert waiting.status_code == 201
    short = desk.post(f"{url}/cancel", json={"reason": ""})
    assert short.status_code == 422
    cancelled = desk.post(f"{url}/cancel", json={"reason": "Patient has flu."})
    assert cancelled.json()["status"] == "cancelled"
    assert desk.post(f"{url}/cancel", json={"reason": "again"}).status_code == 409
    page = desk.get("/schedule/waitlist").text
    assert "offered" in page


def test_it_says_taken_to_the_one_who_loses_a_race_for_a_chair(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    """Two desks move two visits to the same chair and minute: the second is told the
    slot was just taken (409), not that it chose a time never offered (422)."""
    desk = api(front_desk)
    base = f"/api/v1/patients/{booking.patient_id}/plans/{booking.plan_id}"
    first, second, *_rest = desk.post(f"{base}/appointments", json={"option": 0}).json()
    suggestions = desk.get(f"/api/v1/appointments/{first['id']}/suggestions").json()["items"]
    to = {"starts_at": suggestions[0]["starts_at"], "chair_id": suggestions[0]["chair_id"]}
    assert desk.post(f"/api/v1/appointments/{first['id']}/reschedule", json=to).status_code == 200
    lost = desk.post(f"/api/v1/appointments/{second['id']}/reschedule", json=to)
    assert lost.status_code == 409, lost.text
    assert "just taken" in lost.json()["error"]["message"]


def test_it_books_only_on_the_days_and_hours_the_patient_can_come(
    api: Api, front_desk: Persona, booking: Booking
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    desk = api(front_desk)
    base = f"/api/v1/patients/{booking.patient_id}/plans/{booking.plan_id}"
    options = desk.get(
        f"{base}/availability?weekdays=1&weekdays=4&from_time=13:00&until_time=17:00"
    ).json()["items"]
    zone = ZoneInfo(front_desk.clinic.timezone)
    for option in options:
        for visit in option["visits"]:
            starts = datetime.fromisoformat(visit["starts_at"]).astimezone(zone)
            ends = datetime.fromisoformat(visit["ends_at"]).astimezone(zone)
            assert starts.weekday() in (1, 4) and starts.hour >= 13
            assert (ends.hour, ends.minute) <= (17, 0)
    bad = desk.get(f"{base}/availability?weekdays=9")
    assert bad.status_code == 422 and "weekdays.0" in bad.json()["error"]["fields"]
    backwards = desk.get(f"{base}/availability?from_time=15:00&until_time=09:00")
    assert backwards.status_code == 422
    # A time of day with an offset means nothing without a date: refused by name.
    offset = desk.get(f"{base}/availability", params={"until_time": "12:00:00Z"})
    assert offset.status_code == 422 and "until_time" in offset.json()["error"]["fields"]
    body = {
        "option": 0,
        "availability": {"weekdays": [1, 4], "from_time": "13:00", "until_time": "17:00"},
    }
    booked = desk.post(f"{base}/appointments", json=body).json()
    assert {datetime.fromisoformat(b["starts_at"]).astimezone(zone).weekday() for b in booked} <= {
        1,
        4,
    }


def test_it_books_no_administration_on_a_day_without_a_prescriber(
    api: Api, admin: Persona, nurse: Persona, front_desk: Persona, booking: Booking
) -> None:
    from datetime import timedelta

    desk = api(front_desk)
    tomorrow = today_in(CLINIC_TZ) + timedelta(days=1)
    days = [tomorrow + timedelta(days=n) for n in range(7)]
    shift = {"user_id": nurse.user.id, "starts": "08:00", "ends": "17:00"}
    for day in days:  # a week with the nurse on site and no prescriber
        put = api(admin).put(
            "/api/v1/schedule/roster", json={"day": day.isoformat(), "shifts": [shift]}
        )
        assert put.status_code == 200 and put.json()["default"] is False
    roster = desk.get(f"/api/v1/schedule/roster?on={days[0].isoformat()}").json()
    assert [s["role"] for s in roster["shifts"]] == ["nurse"]
    options = desk.get(
        f"/api/v1/patients/{booking.patient_id}/plans/{booking.plan_id}/availability"
    ).json()["items"]
    first = {v["starts_at"][:10] for o in options for v in o["visits"]}
    assert not first & {d.isoformat() for d in days}
    wrong = {**shift, "user_id": front_desk.user.id}
    body = {"day": days[0].isoformat(), "shifts": [wrong]}
    refused = api(admin).put("/api/v1/schedule/roster", json=body)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {
        f"user_{front_desk.user.id}": "not a nurse or prescriber of this clinic"
    }
    empty = {"day": days[0].isoformat(), "shifts": []}
    assert api(nurse).put("/api/v1/schedule/roster", json=empty).status_code == 403
