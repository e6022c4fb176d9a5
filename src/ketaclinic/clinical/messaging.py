"""When a patient message may go (pure: no database, no web). Quiet hours are kept in
the patient's zone (their own when the chart records one, else the clinic's:
``message_zone``): outside them a message waits for the next morning;
an urgent one (a link the patient just asked for) goes at once. A failed send is tried
again after an exponentially growing wait (docs/clinical-references.md#patient-messages,
practice)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def may_send_at(hour_minute: time, *, start_hour: int, end_hour: int) -> bool:
    """Inside the sending hours: from ``start_hour``:00 up to (not at) ``end_hour``:00."""
    minutes = hour_minute.hour * 60 + hour_minute.minute
    return start_hour * 60 <= minutes < end_hour * 60


def send_time(
    when: datetime, *, timezone: str, start_hour: int, end_hour: int, urgent: bool = False
) -> datetime:
    """The earliest moment at or after ``when`` (aware) a message may go, in UTC."""
    if when.tzinfo is None:
        raise ValueError("when must be timezone-aware")
    if urgent:
        return when.astimezone(UTC)
    zone = ZoneInfo(timezone)
    local = when.astimezone(zone)
    if may_send_at(local.time(), start_hour=start_hour, end_hour=end_hour):
        return when.astimezone(UTC)
    day = local.date() if local.hour < start_hour else local.date() + timedelta(days=1)
    # The morning hour exists on every day (clocks change at night), so this is exact.
    morning = datetime.combine(day, time(start_hour), tzinfo=zone)
    return morning.astimezone(UTC)


def message_zone(patient_zone: str | None, clinic_zone: str) -> str:
    """The zone whose clock a message to the patient keeps quiet hours by: the
    patient's own when recorded, else the clinic's."""
    return patient_zone or clinic_zone


def visit_time_words(when: datetime, *, clinic_zone: str, patient_zone: str | None) -> str:
    """A visit's time as a message says it: in the clinic's zone, where the visit
    happens ("9:30 AM"), naming that zone when the patient lives in another
    ("9:30 AM America/Chicago time")."""
    local = when.astimezone(ZoneInfo(clinic_zone))
    words = local.strftime("%I:%M %p").lstrip("0")
    if patient_zone and patient_zone != clinic_zone:
        return f"{words} {clinic_zone} time"
    return words


def backoff(attempts: int, *, base_seconds: int = 60, cap_seconds: int = 6 * 3600) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones (1: a minute, then
    2, 4, 8 ... minutes, never more than ``cap_seconds``)."""
    if attempts < 1:
        raise ValueError("attempts counts failed tries, from 1")
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** min(attempts - 1, 30)))


def next_morning(after: datetime, *, timezone: str, hour: int) -> datetime:
    """``hour``:00 clinic time on the day after ``after``'s clinic date, in UTC."""
    zone = ZoneInfo(timezone)
    day = after.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


# Words in a clinic's name that would tell whoever sees the message (a lock screen, a
# shared inbox) why the patient is seen there: "Lakeside Ketamine & Wellness" in a
# reminder says ketamine. Messages then name the clinic by the name the clinic chose
# for them, or "your clinic" (docs/clinical-references.md#patient-messages).
REVEALING = (
    "ketamine",
    "esketamine",
    "spravato",
    "infusion",
    "psychiatr",
    "mental",
    "depress",
    "anxiety",
    "ptsd",
    "trauma",
    "addiction",
    "pain",
    "behavioral",
    "behavioural",
    "mood",
)
NEUTRAL_NAME = "your clinic"


def revealing_words(text: str) -> list[str]:
    """The revealing words ``text`` contains (lower-case stems), in list order."""
    lowered = text.lower()
    return [word for word in REVEALING if word in lowered]


def sender_name(clinic_name: str, message_name: str | None) -> str:
    """How a message names the clinic: the name chosen for messages, else the clinic's
    own name when it reveals nothing, else "your clinic"."""
    if message_name and message_name.strip():
        return message_name.strip()
    return NEUTRAL_NAME if revealing_words(clinic_name) else clinic_name
