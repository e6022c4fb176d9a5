"""The de-identified export of the whole demo (a year of history, today's patients):
scanned for every identifier of every patient, and for real dates."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.service import get_user_by_email, principal_for
from ketaclinic.clinical.privacy import safe_harbor
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.clock_store import ClockShift
from ketaclinic.kit.time import as_utc, shifted_clock
from ketaclinic.patients.models import Contact, Patient
from ketaclinic.research import files
from ketaclinic.research.export import SHIFT_PURPOSE, deidentified
from ketaclinic.treatments.models import TreatmentSession

SECRET = b"demo-research-secret"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


DEMO_SLUGS = ("lakeside", "mesa")  # other tests may leave clinics of their own


def test_it_releases_no_identifier_of_any_demo_patient(db: Session) -> None:
    with time_machine.travel(datetime.fromisoformat("2026-12-09T12:00:00-06:00"), tick=True):
        load_demo(db, solve_seconds=1)
        row = db.get(ClockShift, 1)
        assert row is not None
        with shifted_clock(timedelta(seconds=row.shift_seconds)):
            for clinic in db.scalars(select(Clinic).where(Clinic.slug.in_(DEMO_SLUGS))):
                admin = principal_for(db, get_user_by_email(db, f"admin@{clinic.slug}.example.org"))
                shifted = files.contents(deidentified(db, admin, clinic, SECRET))
                years = files.contents(deidentified(db, admin, clinic, SECRET, years_only=True))
                _scan(db, clinic, shifted, years)


def _fields(contents: dict[str, str]) -> set[str]:
    found = set()
    for name, text in contents.items():
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(text)):
                found |= {f for value in row for f in value.split(";")}
    return found


def _scan(db: Session, clinic: Clinic, shifted: dict[str, str], years: dict[str, str]) -> None:
    everything = "\n".join([*shifted.values(), *years.values()])
    # A name of word characters only is found as a whole word (\bname\b) exactly when it
    # is one of the text's maximal runs of word characters: one set, not a regex scan
    # of the whole export per name (40 s of this test's 70 on SQLite).
    words = set(re.findall(r"\w+", everything))
    fields = _fields(shifted) | _fields(years)
    charts = list(db.scalars(select(Patient).where(Patient.clinic_id == clinic.id)))
    assert len(charts) > 200
    contacts = db.execute(
        select(Contact.name, Contact.phone)
        .join(Patient, Patient.id == Contact.patient_id)
        .where(Patient.clinic_id == clinic.id)
    ).all()
    for p in charts:
        for name in (p.given_name, p.family_name):
            if re.fullmatch(r"\w+", name):
                assert name not in words, name
            else:
                assert not re.search(rf"\b{re.escape(name)}\b", everything), name
        for value in (p.mrn, p.phone, p.email, p.address_line, p.postal_code, p.search_name):
            assert not value or value not in everything, value
        assert p.city not in fields
        born = p.birth_date
        for shown in (born.isoformat(), born.strftime("%m/%d/%Y"), born.strftime("%Y%m%d")):
            assert shown not in everything
        assert str(p.id) not in {f for f in fields if f.startswith("S")}
    for name, phone in contacts:
        assert name not in everything and phone not in everything
    assert not ISO_DATE.search("".join(years.values()))
    _no_real_dates(db, clinic, shifted)


def _no_real_dates(db: Session, clinic: Clinic, shifted: dict[str, str]) -> None:
    """Every dated row of a study agrees on one shift, and each patient's treatments are
    released under that patient's own secret offset, never on their real dates."""
    zone = ZoneInfo(clinic.timezone)
    real: dict[int, list[str]] = defaultdict(list)
    for pid, at in db.execute(
        select(TreatmentSession.patient_id, TreatmentSession.given_at)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(Patient.clinic_id == clinic.id)
        .order_by(TreatmentSession.given_at)
    ):
        real[pid].append(as_utc(at).astimezone(zone).date().isoformat())
    released: dict[str, list[str]] = defaultdict(list)
    first = {
        r["study_id"]: r["first_treatment_date"]
        for r in csv.DictReader(io.StringIO(shifted["patients.csv"]))
    }
    for name in (
        "treatments.csv",
        "questionnaire_scores.csv",
        "vital_sign_summaries.csv",
        "adverse_events.csv",
        "rescue_medications.csv",
    ):
        for r in csv.DictReader(io.StringIO(shifted[name])):
            if r["days_from_first_treatment"] == "":
                continue
            anchor = date.fromisoformat(r["date"]) - timedelta(
                days=int(r["days_from_first_treatment"])
            )
            assert anchor.isoformat() == first[r["study_id"]], (name, r)
            if name == "treatments.csv":
                released[r["study_id"]].append(r["date"])
    # Each patient's series is released shifted by its own offset (never 0), so the
    # study that holds it never shows the patient's real dates. (Another patient's series
    # may happen to land on them: weekly schedules shifted by whole weeks coincide.)
    shown = {tuple(sorted(d)) for d in released.values()}
    for pid, dates in real.items():
        offset = safe_harbor.date_offset(SECRET, f"{SHIFT_PURPOSE}:{clinic.id}:{pid}")
        moved = tuple(
            sorted((date.fromisoformat(d) + timedelta(days=offset)).isoformat() for d in dates)
        )
        assert moved in shown and moved != tuple(sorted(dates))
