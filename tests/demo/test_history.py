"""The demo's year of history: about 200 patients per clinic with distinct names,
courses on signed plans of real protocols, questionnaires that score as stored, the
chairside record of every infusion, proportions near the real-world figures, nothing
after the demo's "now", and both verifiers still passing. Deterministic."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.chairside.models import (
    AdverseEvent,
    ChairsideSession,
    SessionAlert,
    SessionEvent,
    VitalReading,
)
from ketaclinic.clinical.scales import score
from ketaclinic.clinical.treatment import load_protocols
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.history_courses import Planner
from ketaclinic.demo.history_people import people
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.time import as_utc, shifted_clock, utcnow
from ketaclinic.ledger.verify import verify
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanEvent, TreatmentPlan
from ketaclinic.treatments.models import TreatmentSession

LOADED_AT = datetime.fromisoformat("2026-12-09T12:00:00-06:00")
HISTORY = Patient.email.like("%@inbox.example.org")  # the history patients


def test_it_loads_a_year_of_history_that_holds_together(db: Session) -> None:
    with time_machine.travel(LOADED_AT, tick=True):
        load_demo(db, solve_seconds=1)
        row = db.get(ClockShift, 1)
        assert row is not None
        with shifted_clock(timedelta(seconds=row.shift_seconds)):
            db.flush()
            _patients(db)
            _plans(db)
            _scores(db)
            _proportions(db)
            _safety(db)
            assert audit.verify(db)[1] is None
            assert verify(db)[1] is None


def _patients(db: Session) -> None:
    for clinic in db.scalars(select(Clinic)):
        rows = db.execute(
            select(
                Patient.given_name, Patient.family_name, Patient.phone, Patient.email, HISTORY
            ).where(Patient.clinic_id == clinic.id)
        ).all()
        assert sum(1 for *_x, h in rows if h) == 200
        names = Counter((g, f) for g, f, _p, _e, h in rows if h)
        assert max(names.values()) == 1
        everyone = Counter((g, f) for g, f, *_x in rows)
        assert all(everyone[n] == 1 for n in names)  # no history name repeats a demo patient's
        assert len({p for _g, _f, p, _e, _h in rows}) == len(rows)
    today = utcnow().date()
    births = db.scalars(select(Patient.birth_date).where(HISTORY)).all()
    ages = [(today - b).days // 365 for b in births]
    assert sum(1 for a in ages if a > 89) >= 2 and min(ages) >= 18
    zips = db.scalars(select(Patient.postal_code).where(HISTORY)).all()
    assert {z[:3] for z in zips if z} & {"790", "878", "879"}


def _plans(db: Session) -> None:
    protocols = load_protocols(None)
    signed = set(db.scalars(select(PlanEvent.plan_id).where(PlanEvent.action == "sign")))
    treated = db.execute(
        select(TreatmentSession.plan_id, TreatmentPlan.protocol_id, TreatmentSession.given_at)
        .join(TreatmentPlan, TreatmentPlan.id == TreatmentSession.plan_id)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(HISTORY)
    ).all()
    assert len(treated) > 2000
    assert {p for p, _r, _g in treated} <= signed
    assert {r for _p, r, _g in treated} <= set(protocols)
    assert "maintenance_taper" in {r for _p, r, _g in treated}
    assert max(as_utc(g) for _p, _r, g in treated) < utcnow()


def _scores(db: Session) -> None:
    rows = db.scalars(
        select(QuestionnaireResponse)
        .join(Patient, Patient.id == QuestionnaireResponse.patient_id)
        .where(HISTORY)
    ).all()
    assert {r.instrument_id for r in rows} == {
        "phq9",
        "gad7",
        "madrs",
        "qids_sr16",
        "pcl5",
        "pain_nrs",
    }

    for r in rows:
        again = score(r.instrument_id, json.loads(r.answers))
        assert (again.total, again.band, again.max_total) == (r.total, r.band, r.max_total)
        assert not again.flags or r.instrument_id == "pcl5"  # no unacknowledged alerts


def _proportions(db: Session) -> None:
    """PHQ-9 at the end of induction (the issue-20 definitions, day 14-31), roughly
    McInnes 2022: response 54%, remission 29%."""
    zone = {c.id: ZoneInfo(c.timezone) for c in db.scalars(select(Clinic))}
    treated: dict[int, list[datetime]] = defaultdict(list)
    clinic_of = dict(db.execute(select(Patient.id, Patient.clinic_id).where(HISTORY)).all())
    for pid, at in db.execute(
        select(TreatmentSession.patient_id, TreatmentSession.given_at).order_by(
            TreatmentSession.given_at
        )
    ):
        if pid in clinic_of:
            treated[pid].append(as_utc(at))
    scores: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for pid, at, total in db.execute(
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.completed_at,
            QuestionnaireResponse.total,
        )
        .where(QuestionnaireResponse.instrument_id == "phq9")
        .order_by(QuestionnaireResponse.completed_at)
    ):
        scores[pid].append((as_utc(at), total))
    completed = measured = missing = responded = remitted = 0
    for pid, given in treated.items():
        z = zone[clinic_of[pid]]
        first: date = given[0].astimezone(z).date()
        series = [g for g in given if (g.astimezone(z).date() - first).days <= 27][:8]
        if len(series) < 4 or (series[-1].astimezone(z).date() - first).days < 6:
            continue
        completed += 1
        mine = scores.get(pid, [])
        base = [t for at, t in mine if at <= given[0]]
        if not base:
            continue
        window = [t for at, t in mine if 14 <= (at.astimezone(z).date() - first).days <= 31]
        if not window:
            missing += 1
            continue
        measured += 1
        responded += window[-1] <= base[-1] / 2
        remitted += window[-1] <= 4 and base[-1] >= 10
    assert completed / len(treated) > 0.8
    assert 0.45 <= responded / measured <= 0.65
    assert 0.2 <= remitted / measured <= 0.4
    assert 0.04 <= missing / (measured + missing) <= 0.2


def _safety(db: Session) -> None:
    history = select(Patient.id).where(HISTORY)
    sessions = db.scalar(select(func.count()).where(ChairsideSession.patient_id.in_(history)))
    assert sessions and sessions > 2000
    effects = Counter(
        db.scalars(select(AdverseEvent.effect).where(AdverseEvent.patient_id.in_(history)))
    )
    assert 5 <= 100 * effects["nausea"] / sessions <= 20
    assert 1 <= 100 * effects["vomiting"] / sessions <= 8
    high = db.scalar(
        select(func.count(func.distinct(VitalReading.session_id))).where(
            VitalReading.patient_id.in_(history),
            (VitalReading.systolic > 180) | (VitalReading.diastolic > 110),
        )
    )
    assert high and 1 <= 100 * high / sessions <= 8
    severities = set(
        db.scalars(select(SessionAlert.severity).where(SessionAlert.patient_id.in_(history)))
    )
    assert severities == {"urgent", "warning"}
    stops = db.scalar(
        select(func.count()).where(
            SessionEvent.action == "stop", SessionEvent.patient_id.in_(history)
        )
    )
    assert stops and stops < sessions * 0.05
    cadss = db.scalar(
        select(func.count()).where(
            VitalReading.cadss.is_not(None), VitalReading.patient_id.in_(history)
        )
    )
    assert cadss == sessions


def test_it_makes_the_same_people_and_courses_from_the_same_seed() -> None:
    today = date(2026, 12, 4)

    def made(seed: int) -> list[tuple[object, ...]]:
        rng = random.Random(seed)
        who = people(rng, 30, "NM", today, set(), 0)
        planner = Planner(rng, ZoneInfo("America/Denver"), today, {date(2026, 11, 26)})
        courses = [planner.course(p.kind) for p in who]
        return [
            (p.given, p.family, p.birth, [i.at for i in c.infusions], [s.total for s in c.scores])
            for p, c in zip(who, courses, strict=True)
        ]

    assert made(7) == made(7)
    assert made(7) != made(8)
    for _p, _f, _b, infusions, _s in made(7):
        local = [i.astimezone(ZoneInfo("America/Denver")) for i in infusions]
        assert all(at.weekday() < 5 and 9 <= at.hour <= 15 for at in local)
        assert all(at.date() < today and at.date() != date(2026, 11, 26) for at in local)
