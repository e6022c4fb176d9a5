"""Loads the demo clinic: one clinic, a user of each role, ~40 synthetic patients."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.progress import track
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.auth.models import Membership, User
from ketaclinic.auth.principal import Principal
from ketaclinic.auth.roles import Role
from ketaclinic.auth.service import create_user
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import create_clinic
from ketaclinic.demo import data
from ketaclinic.kit.time import utcnow
from ketaclinic.patients import service as patients
from ketaclinic.patients.schemas import (
    AllergyIn,
    ContactIn,
    DiagnosisIn,
    MeasurementIn,
    MedicationIn,
    PatientCreate,
)

DEMO_PASSWORD = "ketamine-demo-2026"  # noqa: S105 - printed on purpose: demo data only
DEMO_CLINIC = (
    "lakeside",
    "Lakeside Ketamine & Wellness",
    "America/Chicago",
    "1200 Barton Springs Rd, Austin, TX 78704",
)
DEMO_STAFF = [
    (Role.ADMIN, "Dana Whitaker", "admin@lakeside.example.org"),
    (Role.PRESCRIBER, "Dr. Priya Raman, MD", "prescriber@lakeside.example.org"),
    (Role.NURSE, "Jordan Ellis, RN", "nurse@lakeside.example.org"),
    (Role.FRONT_DESK, "Sam Ortega", "frontdesk@lakeside.example.org"),
    (Role.CUSTODIAN, "Chris Mbeki, PharmD", "custodian@lakeside.example.org"),
]
PATIENT_COUNT = 40


def demo_logins(db: Session) -> list[tuple[str, str, str]]:
    rows = db.execute(
        select(Membership.role, User.email, Clinic.slug)
        .join(User, User.id == Membership.user_id)
        .join(Clinic, Clinic.id == Membership.clinic_id)
        .where(User.email.like("%@%.example.org"))
        .order_by(Clinic.slug, Membership.role)
    ).all()
    return [(r, e, c) for r, e, c in rows]


def _phone(rng: random.Random) -> str:
    # 555-01xx numbers are reserved for fiction.
    return f"+1 512 555 01{rng.randint(0, 99):02d}"


def _patient(rng: random.Random, index: int) -> PatientCreate:
    female = rng.random() < 0.6
    given = rng.choice(data.GIVEN_FEMALE if female else data.GIVEN_MALE)
    family = data.FAMILY[(index * 7 + rng.randint(0, 3)) % len(data.FAMILY)]
    today = date.today()
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
    return PatientCreate(
        given_name=given,
        family_name=family,
        birth_date=birth,
        sex_at_birth="female" if female else "male",
        phone=_phone(rng),
        email=f"{given.lower()}.{family.lower()}@mail.example.org",
        address_line=f"{rng.randint(100, 9899)} {rng.choice(data.STREETS)}",
        city=city,
        region=region,
        postal_code=f"{postal}{rng.randint(10, 99)}",
        country="US",
        weight_kg=weight,
        height_cm=height,
        diagnoses=diagnoses,
        medications=[
            MedicationIn(name=n, dose=d) for n, d in rng.sample(data.MEDICATIONS, rng.randint(0, 3))
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


def load_demo(
    db: Session, *, progress: Console | None = None, seed: int = 2026
) -> list[tuple[str, str, str]]:
    """Returns the logins it created, or [] when the demo clinic is already there."""
    slug, name, tz, address = DEMO_CLINIC
    if db.scalar(select(Clinic.id).where(Clinic.slug == slug)) is not None:
        return []
    rng = random.Random(seed)
    clinic = create_clinic(db, slug=slug, name=name, timezone=tz, address=address)
    users: dict[Role, User] = {}
    for role, full_name, email in DEMO_STAFF:
        users[role] = create_user(
            db, email=email, name=full_name, password=DEMO_PASSWORD, role=role.value, clinic=clinic
        )
    front_desk = users[Role.FRONT_DESK]
    actor = Principal(
        user_id=front_desk.id,
        email=front_desk.email,
        name=front_desk.name,
        roles={clinic.id: Role.FRONT_DESK},
    )
    steps: Any = range(PATIENT_COUNT)
    if progress is not None:
        steps = track(steps, description="Registering demo patients…", console=progress)
    for index in steps:
        patient = patients.create_patient(db, actor, _patient(rng, index))
        # A weight history: most patients were weighed at earlier visits too.
        latest = patients.view(db, patient).weight_kg or Decimal(70)
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
    db.flush()
    return [(role.value, email, slug) for role, _n, email in DEMO_STAFF]
