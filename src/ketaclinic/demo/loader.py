"""Loads the demo: two clinics, each with its own staff and synthetic patients, so
clinic isolation is visible, plus a little recorded chart activity for the audit pages."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import track
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.holidays import holiday_closures
from ketaclinic.audit import service as audit
from ketaclinic.auth.models import Membership, User
from ketaclinic.auth.service import create_user
from ketaclinic.clinical.screening.medications import classes_on_chart
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import create_clinic
from ketaclinic.demo import data
from ketaclinic.demo.billing import load_billing
from ketaclinic.demo.billing_accounts import load_accounts
from ketaclinic.demo.boosters import booster_history
from ketaclinic.demo.calendar import continue_series, load_calendar
from ketaclinic.demo.chairside import STORIES, load_chairside
from ketaclinic.demo.clinical import load_plans, load_screenings
from ketaclinic.demo.clock import demo_moment
from ketaclinic.demo.courses import measurement_series
from ketaclinic.demo.history import load_history
from ketaclinic.demo.ledger import load_ledger
from ketaclinic.demo.network import add_network_operator
from ketaclinic.demo.portal import load_portal_patient, run_message_jobs
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Role
from ketaclinic.intake import service as intake
from ketaclinic.intake.schemas import InquiryIn
from ketaclinic.kit.clock_store import store_clock
from ketaclinic.kit.errors import NotFound
from ketaclinic.kit.time import clock_shift, shifted_clock, today_in, utcnow
from ketaclinic.outcomes import jobs as booster_jobs
from ketaclinic.patients import service as patients
from ketaclinic.patients.models import Patient
from ketaclinic.patients.schemas import (
    AllergyIn,
    ContactIn,
    DiagnosisIn,
    MeasurementIn,
    MedicationIn,
    PatientCreate,
)
from ketaclinic.portal.models import PatientAccount

DEMO_PASSWORD = "ketamine-demo-2026"  # noqa: S105 - printed on purpose: demo data only


@dataclass(frozen=True)
class DemoClinic:
    slug: str
    name: str
    timezone: str
    address: str
    staff: list[tuple[Role, str, str]]
    patients: int
    subdivision: str  # the state whose holiday calendar the clinic keeps (stored)
    country: str = "US"
    # How its messages name it (its name says ketamine); Mesa's says "infusion" and has
    # none, so its messages say "your clinic".
    message_name: str | None = None


DEMO_CLINICS = [
    DemoClinic(
        "lakeside",
        "Lakeside Ketamine & Wellness",
        "America/Chicago",
        "1200 Barton Springs Rd, Austin, TX 78704",
        [
            (Role.ADMIN, "Dana Whitaker", "admin@lakeside.example.org"),
            (Role.PRESCRIBER, "Dr. Priya Raman, MD", "prescriber@lakeside.example.org"),
            (Role.NURSE, "Jordan Ellis, RN", "nurse@lakeside.example.org"),
            # Six chairs at a time take three nurses (each watches up to three).
            (Role.NURSE, "Morgan Lee, RN", "nurse2@lakeside.example.org"),
            (Role.NURSE, "Avery Chen, RN", "nurse3@lakeside.example.org"),
            (Role.FRONT_DESK, "Sam Ortega", "frontdesk@lakeside.example.org"),
            (Role.CUSTODIAN, "Chris Mbeki, PharmD", "custodian@lakeside.example.org"),
        ],
        40,
        "TX",
        message_name="Lakeside Wellness",
    ),
    # A second clinic on the same deployment: its staff see none of Lakeside's
    # patients, and Lakeside's see none of theirs.
    DemoClinic(
        "mesa",
        "Mesa Verde Infusion Center",
        "America/Denver",
        "410 Canyon Rd, Santa Fe, NM 87501",
        [
            (Role.ADMIN, "Rosa Delgado", "admin@mesa.example.org"),
            (Role.PRESCRIBER, "Dr. Alan Whitehorse, DO", "prescriber@mesa.example.org"),
            (Role.NURSE, "Kim Nakamura, RN", "nurse@mesa.example.org"),
            (Role.FRONT_DESK, "Luis Baca", "frontdesk@mesa.example.org"),
        ],
        12,
        "NM",
    ),
]
DEMO_IPS = {"lakeside": "10.20.0.", "mesa": "10.30.0."}


def demo_logins(db: Session) -> list[tuple[str, str, str]]:
    """Staff logins, then the patients' portal logins ("patient", email, clinic)."""
    rows = db.execute(
        select(Membership.role, User.email, Clinic.slug)
        .join(User, User.id == Membership.user_id)
        .join(Clinic, Clinic.id == Membership.clinic_id)
        .where(User.email.like("%@%.example.org"))
        .order_by(Clinic.slug, Membership.role)
    ).all()
    patients = db.execute(
        select(PatientAccount.email, Clinic.slug)
        .join(Clinic, Clinic.id == PatientAccount.clinic_id)
        .where(
            Clinic.slug.in_([spec.slug for spec in DEMO_CLINICS]),
            PatientAccount.email.like("%@%.example.org"),
            PatientAccount.status == "active",
        )
        .order_by(Clinic.slug)
    ).all()
    return [(r, e, c) for r, e, c in rows] + [("patient", e, c) for e, c in patients]


# The synthetic names repeat by design (a short list each), so two demo patients born
# the same day may share one: names are not compared (no score exceeds 100).
SYNTHETIC_NAMES = 101


def _phone(rng: random.Random) -> str:
    # 555-01xx numbers are reserved for fiction.
    return f"+1 512 555 01{rng.randint(0, 99):02d}"


def _patient(rng: random.Random, index: int) -> PatientCreate:
    female = rng.random() < 0.6
    given = rng.choice(data.GIVEN_FEMALE if female else data.GIVEN_MALE)
    family = data.FAMILY[(index * 7 + rng.randint(0, 3)) % len(data.FAMILY)]
    today = utcnow().date()
    birth = today - timedelta(days=rng.randint(19 * 365, 74 * 365))
    height = Decimal(rng.randint(152, 172) if female else rng.randint(165, 192))
    bmi = rng.uniform(19.5, 36.0)
    weight = (Decimal(str(round(bmi * float(height / 100) ** 2, 1)))).quantize(Decimal("0.1"))
    city, region, postal = rng.choice(data.CITIES)
    codes, labels, weights = zip(*[(c, lab, w) for c, lab, w in data.DIAGNOSES], strict=True)
    first = rng.choices(range(len(codes)), weights=weights)[0]
    diagnoses = [DiagnosisIn(code=codes[first], label=labels[first])]
    if rng.random() < 0.35:
        second = rng.randrange(len(codes))
        if second != first:
            diagnoses.append(DiagnosisIn(code=codes[second], label=labels[second]))
    escort_given = rng.choice(data.GIVEN_MALE if female else data.GIVEN_FEMALE)
    # Drawn as before so the rest of the demo stays as it was; each patient's own
    # phone and email are unique (a shared one is a likely duplicate at registration).
    _phone(rng)
    return PatientCreate(
        given_name=given,
        family_name=family,
        birth_date=birth,
        sex_at_birth="female" if female else "male",
        phone=f"+1 512 555 {index:04d}",
        email=f"{given.lower()}.{family.lower()}.{index}@mail.example.org",
        address_line=f"{rng.randint(100, 9899)} {rng.choice(data.STREETS)}",
        city=city,
        region=region,
        postal_code=f"{postal}{rng.randint(10, 99)}",
        country="US",
        weight_kg=weight,
        height_cm=height,
        diagnoses=diagnoses,
        medications=[
            MedicationIn(name=n, dose=d)
            for n, d in rng.sample(data.MEDICATIONS, rng.randint(0, 3))
            # Screening reads the chart: random charts carry no interacting medicine, so
            # each story screens as it says; the stories that need one add it.
            if not classes_on_chart([n])
        ],
        allergies=[
            AllergyIn(substance=s, reaction=r)
            for s, r in rng.sample(data.ALLERGIES, rng.randint(0, 1))
        ],
        contacts=[
            ContactIn(
                name=f"{escort_given} {family}",
                relationship=rng.choice(data.RELATIONS),
                phone=_phone(rng),
                is_escort=True,
                is_emergency=True,
            )
        ],
    )


DAY_STORIES = {slug: [s for s in STORIES if s[0] == slug] for slug in {s[0] for s in STORIES}}


def load_demo(
    db: Session, *, progress: Console | None = None, seed: int = 2026, solve_seconds: float = 5
) -> list[tuple[str, str, str]]:
    """Returns the logins it created, or [] when the demo clinics are already there.

    The demo is a clinic day whatever the hour it is loaded: it runs on the demo's
    clock (``demo.clock``), stored for the app and the CLI to run on."""
    if db.scalar(select(Clinic.id).where(Clinic.slug == DEMO_CLINICS[0].slug)) is not None:
        return []
    home = DEMO_CLINICS[0].timezone
    today = today_in(home)
    window = (today - timedelta(days=120), today + timedelta(days=120))
    closures = {s.slug: holiday_closures(s.country, s.subdivision, *window) for s in DEMO_CLINICS}
    closed = {day for days in closures.values() for day in days}
    now = utcnow()
    moment = demo_moment(now, home, closed)
    shift = clock_shift() + (moment - now)
    with shifted_clock(shift):
        logins = _load(db, progress, seed, solve_seconds, closures, window)
        store_clock(db, shift, home, "The demo's clinic day")
    return logins


def _load(
    db: Session,
    progress: Console | None,
    seed: int,
    solve_seconds: float,
    closures: dict[str, dict[date, str]],
    window: tuple[date, date],
) -> list[tuple[str, str, str]]:
    closed = {day for days in closures.values() for day in days}
    rng = random.Random(seed)
    logins: list[tuple[str, str, str]] = []
    staff_of: dict[str, dict[Role, Principal]] = {}
    charts: dict[str, list[Patient]] = {}
    for spec in DEMO_CLINICS:
        staff_of[spec.slug], charts[spec.slug] = _load_clinic(db, rng, spec, progress)
        logins += [(role.value, email, spec.slug) for role, _n, email in spec.staff]
    slugs = [spec.slug for spec in DEMO_CLINICS]
    logins += add_network_operator(db, slugs, DEMO_PASSWORD)  # reports only (issue 20)
    _chart_activity(db, rng, staff_of, charts)
    _inquiries(db, staff_of["lakeside"][Role.FRONT_DESK])
    for spec in DEMO_CLINICS:
        active = [p for p in charts[spec.slug] if p.status == "active"]
        cleared = load_screenings(db, staff_of[spec.slug], active)
        load_plans(db, staff_of[spec.slug], active, cleared)
        load_calendar(db, spec.slug, staff_of[spec.slug], solve_seconds, window)
        measurement_series(db, rng, staff_of[spec.slug], active, ZoneInfo(spec.timezone), closed)
        load_ledger(db, spec.slug, staff_of[spec.slug], spec.timezone)
        # Today's visits are new patients' first sessions (their own generator, so
        # the rest of the demo stays as it was).
        day_rng = random.Random(seed + len(spec.slug))
        desk = staff_of[spec.slug][Role.FRONT_DESK]
        newcomers = [
            patients.create_patient(
                db, desk, _patient(day_rng, 200 + i), duplicate_min_score=SYNTHETIC_NAMES
            )
            for i in range(2 * len(DAY_STORIES[spec.slug]) + 6)
        ]
        load_chairside(db, spec.slug, staff_of[spec.slug], spec.timezone, newcomers)
        continue_series(db, staff_of[spec.slug], spec.timezone)
        spare = _patient(day_rng, 300)  # registered only if every chart had treatment
        booster_history(
            db,
            staff_of[spec.slug],
            active,
            ZoneInfo(spec.timezone),
            closed,
            partial(patients.create_patient, db, desk, spare, duplicate_min_score=SYNTHETIC_NAMES),
        )
        # A year of past courses (its own generator: the rest stays as it was).
        clinic = db.get(Clinic, next(iter(staff_of[spec.slug][Role.ADMIN].roles)))
        assert clinic is not None
        load_history(db, clinic, staff_of[spec.slug], seed)
        # Billing (issue 23): the fee schedule and the last month's charges.
        load_billing(db, spec.slug, staff_of[spec.slug])
        load_accounts(db, spec.slug, staff_of[spec.slug])  # packages, payments, a refund
    # The patient's side (issue 21): a portal login per clinic, then the worker's
    # minute once, so the outbox holds what went out and what waits.
    for spec in DEMO_CLINICS:
        patient_login = load_portal_patient(db, spec.slug, staff_of[spec.slug], DEMO_PASSWORD)
        if patient_login is not None:
            logins.append(patient_login)
    run_message_jobs(db)
    # The booster job's work, done at once: the suggestions the worker would store for
    # every score above (the dashboard only reads them).
    demo_clinics = [c for s in staff_of.values() for c in s[Role.ADMIN].roles]
    booster_jobs.evaluate_due(db, clinic_ids=demo_clinics)
    db.flush()
    return logins


def _load_clinic(
    db: Session, rng: random.Random, spec: DemoClinic, progress: Console | None
) -> tuple[dict[Role, Principal], list[Patient]]:
    clinic = create_clinic(
        db,
        slug=spec.slug,
        name=spec.name,
        timezone=spec.timezone,
        address=spec.address,
        country=spec.country,
        subdivision=spec.subdivision,
    )
    clinic.message_name = spec.message_name
    staff: dict[Role, Principal] = {}  # the first of each role acts in the demo's stories
    for index, (role, full_name, email) in enumerate(spec.staff):
        user = create_user(
            db, email=email, name=full_name, password=DEMO_PASSWORD, role=role.value, clinic=clinic
        )
        origin = Origin("web", f"{DEMO_IPS[spec.slug]}{10 + index}", "Mozilla/5.0 (iPad)")
        staff.setdefault(
            role, Principal(user.id, user.email, user.name, {clinic.id: role}, origin=origin)
        )
    actor = staff[Role.FRONT_DESK]
    steps: Any = range(spec.patients)
    if progress is not None:
        steps = track(steps, description=f"Registering {spec.name} patients…", console=progress)
    registered = []
    for index in steps:
        patient = patients.create_patient(
            db, actor, _patient(rng, index), duplicate_min_score=SYNTHETIC_NAMES
        )
        # A weight history: most patients were weighed at earlier visits too.
        latest = patients.view(db, actor, patient).weight_kg or Decimal(70)
        for weeks_ago in sorted(rng.sample(range(2, 26), rng.randint(0, 3)), reverse=True):
            drift = Decimal(str(round(rng.uniform(-3, 3), 1)))
            patients.record_measurement(
                db,
                actor,
                patient,
                MeasurementIn(
                    weight_kg=min(max(latest + drift, Decimal(40)), Decimal(200)),
                    measured_at=utcnow() - timedelta(weeks=weeks_ago),
                ),
            )
        if index % 13 == 12:
            patient.status = "inactive"
        registered.append(patient)
    return staff, registered


def _chart_activity(
    db: Session,
    rng: random.Random,
    staff_of: dict[str, dict[Role, Principal]],
    charts: dict[str, list[Patient]],
) -> None:
    """Clinicians opening charts, and one attempt across the clinic wall, so the
    audit pages and "who looked at this record" have something to show."""
    for slug, staff in staff_of.items():
        for patient in rng.sample(charts[slug], min(8, len(charts[slug]))):
            for role in (Role.PRESCRIBER, Role.NURSE):
                if rng.random() < 0.7:
                    patients.open_chart(db, staff[role], patient.id)
    # Mesa's nurse tries a Lakeside chart id: refused, and on Lakeside's trail.
    intruder = staff_of["mesa"][Role.NURSE]
    target = charts["lakeside"][0]
    try:
        patients.open_chart(db, intruder, target.id)
    except NotFound:
        audit.record(
            db,
            intruder,
            "access.not_found",
            outcome=audit.DENIED,
            clinic_id=target.clinic_id,
            patient_id=target.id,
            resource_type="route",
            detail={"route": "GET /patients/{patient_id}", "params": {"patient_id": target.id}},
        )


DEMO_INQUIRIES = [
    (
        "Imani",
        "Okafor-Reyes",
        "+1 512 555 0161",
        "weekday mornings",
        {"concern": "depression", "prior_treatments": "two_plus", "pregnant": "no"},
    ),
    (
        "Tomas",
        "Lindgren",
        "+1 512 555 0162",
        "after 5 pm",
        {"concern": "ptsd", "prior_treatments": "one", "blood_pressure": "unsure"},
    ),
    (
        "Grace",
        "Whitfield",
        "+1 512 555 0163",
        "",
        {"concern": "chronic_pain", "prior_treatments": "unsure"},
    ),
]


def _inquiries(db: Session, front_desk: Principal) -> None:
    """Requests from the public pre-screen waiting in Lakeside's queue; one called back."""
    clinic = db.get(Clinic, next(iter(front_desk.roles)))
    assert clinic is not None
    for index, (given, family, phone, times, answers) in enumerate(DEMO_INQUIRIES):
        inquiry = intake.submit(
            db,
            clinic,
            InquiryIn(
                given_name=given,
                family_name=family,
                phone=phone,
                preferred_times=times,
                answers=answers,
                consent_to_contact=True,
            ),
            Origin("web"),
        )
        if index == 1:
            intake.set_status(db, front_desk, inquiry.id, "contacted")
