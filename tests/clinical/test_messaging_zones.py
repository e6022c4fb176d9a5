"""Quiet hours in the patient's own zone when the chart records one, else the
clinic's; a visit's time in a message stays the clinic's, naming it for a patient
who lives elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.clinical.messaging import may_send_at, message_zone, send_time, visit_time_words

CHICAGO = "America/Chicago"
ZONES = st.sampled_from(
    [CHICAGO, "America/Denver", "America/Los_Angeles", "Pacific/Honolulu", "Europe/London"]
)
MAYBE_ZONE = st.none() | ZONES
MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@given(MAYBE_ZONE, ZONES)
def test_it_keeps_the_patients_own_zone_else_the_clinics(own: str | None, clinic: str) -> None:
    assert message_zone(own, clinic) == (own if own is not None else clinic)


@given(MOMENTS, MAYBE_ZONE, ZONES, st.integers(0, 12), st.integers(13, 24))
def test_it_sends_only_in_the_patients_waking_hours(
    when: datetime, own: str | None, clinic: str, start: int, end: int
) -> None:
    zone = message_zone(own, clinic)
    at = send_time(when, timezone=zone, start_hour=start, end_hour=end)
    assert at >= when
    # Inside the hours on the patient's clock, whatever the clinic's says.
    assert may_send_at(at.astimezone(ZoneInfo(zone)).time(), start_hour=start, end_hour=end)


def test_it_holds_a_message_for_a_patient_whose_night_it_still_is() -> None:
    # 09:00 in Chicago is 07:00 in Los Angeles: the clinic's morning, the patient's night.
    when = datetime(2026, 12, 9, 9, 0, tzinfo=ZoneInfo(CHICAGO))
    at = send_time(
        when, timezone=message_zone("America/Los_Angeles", CHICAGO), start_hour=8, end_hour=21
    )
    assert at.astimezone(ZoneInfo("America/Los_Angeles")).hour == 8
    assert send_time(when, timezone=message_zone(None, CHICAGO), start_hour=8, end_hour=21) == when


@given(MOMENTS, MAYBE_ZONE, ZONES)
def test_it_says_a_visits_time_on_the_clinics_clock(
    when: datetime, own: str | None, clinic: str
) -> None:
    words = visit_time_words(when, clinic_zone=clinic, patient_zone=own)
    local = when.astimezone(ZoneInfo(clinic))
    assert words.startswith(local.strftime("%I:%M %p").lstrip("0"))
    # The clinic's zone is named exactly when the patient's differs.
    assert (clinic in words) == (own is not None and own != clinic)


def test_it_names_the_clinics_zone_for_a_patient_who_lives_in_another() -> None:
    visit = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    assert visit_time_words(visit, clinic_zone=CHICAGO, patient_zone=None) == "9:30 AM"
    assert visit_time_words(visit, clinic_zone=CHICAGO, patient_zone=CHICAGO) == "9:30 AM"
    assert (
        visit_time_words(visit, clinic_zone=CHICAGO, patient_zone="America/Denver")
        == "9:30 AM America/Chicago time"
    )
