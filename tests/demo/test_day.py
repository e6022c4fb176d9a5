"""The demo is a believable clinic day whenever it is loaded: at night, at dawn, at
noon, before midnight, on a Sunday, across both DST changes and the new year, on a
holiday. At each moment the demo is loaded afresh (in the test's transaction, on
both databases) and checked for the board's stories and for records that cannot
happen: two visits in one chair at once (any status), visits on a closed day or
outside opening hours, an administration with no nurse or prescriber on the roster,
and anything dated after the demo's "now"."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.appointments import roster as roster_service
from ketaclinic.appointments.models import Appointment, Chair, ClinicClosure, ClinicHours
from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.chairside import board as boards
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.models import Clinic
from ketaclinic.consents import service as consents
from ketaclinic.demo.chairside import STORIES, end_state, policy
from ketaclinic.demo.clock import DEMO_TIME
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.db import Base, UTCDateTime
from ketaclinic.kit.time import as_utc, shifted_clock, to_local, utcnow
from ketaclinic.ledger.verify import verify
from ketaclinic.notifications.models import Message
from ketaclinic.patients.models import Patient
from ketaclinic.portal import visits as portal_visits
from ketaclinic.portal.actor import PortalPatient
from ketaclinic.portal.models import PatientAccount
from ketaclinic.previsit import service as previsit
from ketaclinic.treatments.models import TreatmentSession

# Clinic-local moments at Lakeside (America/Chicago) when someone runs `make demo`.
MOMENTS = {
    "00:30 on a Wednesday": "2026-12-09T00:30:00-06:00",
    "06:00 on a Wednesday": "2026-12-09T06:00:00-06:00",
    "12:00 on a Wednesday": "2026-12-09T12:00:00-06:00",
    "23:30 on a Wednesday": "2026-12-09T23:30:00-06:00",
    "00:30 on a Sunday": "2026-12-06T00:30:00-06:00",
    "spring forward, 03:30 CDT": "2026-03-08T03:30:00-05:00",
    "fall back, the second 01:30": "2026-11-01T01:30:00-06:00",
    "23:30 on 31 December": "2026-12-31T23:30:00-06:00",
    "00:30 on 1 January": "2027-01-01T00:30:00-06:00",
    "Thanksgiving, 14:00": "2026-11-26T14:00:00-06:00",
}
# Columns that may hold a time after "now": a booked visit, a link's expiry, a message's.
MAY_BE_LATER = {
    ("appointments", "starts_at"),
    ("appointments", "setup_ends_at"),
    ("appointments", "administration_ends_at"),
    ("appointments", "ends_at"),
    ("questionnaire_links", "expires_at"),
    ("portal_links", "expires_at"),  # the demo patient's used invitation: still dated
    ("staff_sessions", "expires_at"),
    # a message to a patient: the visit it is about, and when it is to go
    ("notification_messages", "visit_starts_at"),
    ("notification_messages", "not_before"),
    ("notification_messages", "next_attempt_at"),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_it_is_a_believable_clinic_day_whenever_it_is_loaded(moment: str, db: Session) -> None:
    loaded_at = datetime.fromisoformat(MOMENTS[moment])
    with time_machine.travel(loaded_at, tick=True):
        load_demo(db, solve_seconds=1)
        row = db.get(ClockShift, 1)
        assert row is not None
        with shifted_clock(timedelta(seconds=row.shift_seconds)):
            found = {
                "the demo's clock": _clock_problems(db, loaded_at),
                "regions": _region_problems(db),
                "the board": _board_problems(db),
                "chairs": _overlaps(db),
                "hours and roster": _closed_or_unstaffed(db),
                "the future": _future_records(db),
                "the patient's side": _portal_problems(db),
            }
    assert {k: v for k, v in found.items() if v} == {}


def _clinics(db: Session) -> dict[str, Clinic]:
    return {c.slug: c for c in db.scalars(select(Clinic))}


def _closed_days(db: Session, clinic: Clinic) -> set[date]:
    return set(db.scalars(select(ClinicClosure.day).where(ClinicClosure.clinic_id == clinic.id)))


def _clock_problems(db: Session, loaded_at: datetime) -> list[str]:
    """An open weekday's afternoon, on or before the day it was loaded, within days."""
    lakeside = _clinics(db)["lakeside"]
    now = to_local(utcnow(), lakeside.timezone)
    loaded = loaded_at.astimezone(now.tzinfo)
    problems = []
    if now.weekday() >= 5 or now.date() in _closed_days(db, lakeside):
        problems.append(f"the demo's day {now:%a %d %b} is not an open weekday")
    if not DEMO_TIME <= now.time() <= time(DEMO_TIME.hour + 1, DEMO_TIME.minute):
        problems.append(f"the demo's clock reads {now:%H:%M}")
    if not loaded - timedelta(days=5) < now <= loaded + timedelta(hours=2):
        problems.append(f"the demo's day {now} is far from when it was loaded, {loaded}")
    return problems


def _region_problems(db: Session) -> list[str]:
    """Each clinic keeps its state's holiday calendar, stored with the clinic and
    filled through it (Thanksgiving is within the loader's four months either way)."""
    problems = []
    for slug, clinic in _clinics(db).items():
        region = (clinic.country, clinic.subdivision)
        if region != {"lakeside": ("US", "TX"), "mesa": ("US", "NM")}[slug]:
            problems.append(f"{slug} stores {region}")
        of_clinic = select(ClinicClosure.reason).where(ClinicClosure.clinic_id == clinic.id)
        reasons = set(db.scalars(of_clinic))
        if not reasons & {"Thanksgiving Day", "Christmas Day", "Memorial Day", "Labor Day"}:
            problems.append(f"{slug} has no holiday closures: {sorted(reasons)}")
    return problems


def _board_problems(db: Session) -> list[str]:
    problems = []
    for slug, clinic in _clinics(db).items():
        nurse = principal_for(db, get_user_by_email(db, f"nurse@{slug}.example.org"))
        shown = boards.board(db, nurse, policy(), clinic.id)
        states = {v.state for v in shown.visits}
        expected = {end_state(goal) for c, _p, _m, goal in STORIES if c == slug}
        if not expected <= states:
            problems.append(f"{slug}: no session {sorted(expected - states)}")
        if not [r.next for r in shown.chairs if r.next is not None]:
            problems.append(f"{slug}: no visit left to check in today")
        if slug == "lakeside":
            alerts = [a.alert for v in shown.visits if v.chart for a in v.chart.open_alerts]
            if [a.rule_id for a in alerts] != ["bp_high"] or alerts[0].value < 180:
                problems.append(f"lakeside: open alerts {[a.rule_id for a in alerts]}")
    if verify(db)[1] is not None:
        problems.append("the ledger does not verify")
    return problems


def _overlaps(db: Session) -> list[str]:
    """Two visits in one chair at once, whatever their status (cancelled included)."""
    rows = db.execute(
        select(Chair.name, Appointment)
        .join(Chair, Chair.id == Appointment.chair_id)
        .order_by(Appointment.chair_id, Appointment.starts_at)
    ).all()
    return [
        f"{chair}: {a.status} and {b.status} at {as_utc(b.starts_at)}"
        for (chair, a), (_other, b) in pairwise(rows)
        if a.chair_id == b.chair_id and as_utc(b.starts_at) < as_utc(a.ends_at)
    ]


def _closed_or_unstaffed(db: Session) -> list[str]:
    """Visits on a closed day or outside hours; doses given with no nurse or no
    prescriber on the day's roster."""
    return [p for slug, clinic in _clinics(db).items() for p in _clinic_hours(db, slug, clinic)]


def _clinic_hours(db: Session, slug: str, clinic: Clinic) -> list[str]:
    problems: list[str] = []
    admin = principal_for(db, get_user_by_email(db, f"admin@{slug}.example.org"))
    hours = {
        h.weekday: h
        for h in db.scalars(select(ClinicHours).where(ClinicHours.clinic_id == clinic.id))
    }
    closed = _closed_days(db, clinic)
    rosters: dict[date, roster_service.RosterView] = {}

    def check(what: str, start: datetime, end: datetime, *, staffed: bool) -> None:
        local, local_end = to_local(start, clinic.timezone), to_local(end, clinic.timezone)
        day = local.date()
        opening = hours.get(day.weekday())
        if opening is None or day in closed:
            problems.append(f"{slug}: {what} on a closed day, {local:%a %d %b %H:%M}")
            return
        minutes = (local.hour * 60 + local.minute, local_end.hour * 60 + local_end.minute)
        if minutes[0] < opening.opens or minutes[1] > opening.closes or local_end.date() != day:
            problems.append(f"{slug}: {what} outside opening hours, {local:%a %d %b %H:%M}")
        if staffed:
            roster = rosters.get(day) or roster_service.roster_of(db, admin, clinic, day)
            rosters[day] = roster
            on = {role for _u, _n, role, s, e in roster.lines if s <= minutes[0] < e}
            if not {"nurse", "prescriber"} <= on:
                problems.append(f"{slug}: {what} with {sorted(on)} on site, {local}")

    for a in db.scalars(select(Appointment).where(Appointment.clinic_id == clinic.id)):
        check(f"a {a.status} visit", a.starts_at, a.ends_at, staffed=False)
    given = db.scalars(
        select(ChairsideSession.administration_started_at).where(
            ChairsideSession.clinic_id == clinic.id,
            ChairsideSession.administration_started_at.is_not(None),
        )
    )
    for at in given:
        check("a dose given in the chair", at, at, staffed=True)
    treatments = db.scalars(
        select(TreatmentSession.given_at)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(Patient.clinic_id == clinic.id)
    )
    for at in treatments:
        check("a treatment given", at, at, staffed=True)
    return problems


def _portal_problems(db: Session) -> list[str]:
    """Each clinic's portal patient (issue 21): two visits to come, one with the escort
    named; today's PHQ-9 done and GAD-7 open; a signed consent; messages sent (no
    transport) and waiting."""
    problems = []
    for slug, clinic in _clinics(db).items():
        account = db.scalar(
            select(PatientAccount).where(
                PatientAccount.clinic_id == clinic.id, PatientAccount.status == "active"
            )
        )
        if account is None:
            problems.append(f"{slug}: no patient on the portal")
            continue
        me = PortalPatient(account.id, account.patient_id, clinic.id)
        visits = portal_visits.upcoming(db, me, dict(load_protocols(None)))
        if sorted({v.escort_confirmed for v in visits}) != [False, True]:
            problems.append(f"{slug}: escorts {[v.escort_confirmed for v in visits]}")
        states = {
            (d.instrument.id, d.state) for d in previsit.due_for_patient(db, me, me.patient_id)
        }
        if not {("phq9", "done"), ("gad7", "open")} <= states:
            problems.append(f"{slug}: questionnaires {sorted(states)}")
        if not consents.documents_for(db, me, me.patient_id).signed:
            problems.append(f"{slug}: no signed consent")
        statuses = set(db.scalars(select(Message.status).where(Message.clinic_id == clinic.id)))
        if not {"no_transport", "queued"} <= statuses:
            problems.append(f"{slug}: messages {sorted(statuses)}")
    return problems


def _future_records(db: Session) -> list[str]:
    """Nothing dated after the demo's now but booked visits and expiries; no completed
    or missed visit in the future."""
    now = utcnow()
    later: list[str] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if (table.name, column.name) in MAY_BE_LATER:
                continue
            if not isinstance(column.type, UTCDateTime):
                continue
            newest = db.scalar(select(func.max(column)))
            if newest is not None and as_utc(newest) > now:
                later.append(f"{table.name}.{column.name} = {newest}")
    finished = db.scalars(
        select(Appointment).where(Appointment.status.in_(["completed", "no_show"]))
    )
    later += [f"a {a.status} visit at {a.starts_at}" for a in finished if as_utc(a.starts_at) > now]
    return later
