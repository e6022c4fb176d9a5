"""Self-pay accounts written as rows (the account services that write them are
another step's): two patients of the test clinic, one of another clinic, a package,
charges, payments by two staff members and a refund. Today at the clinic is
2026-12-09 (the suite's clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session

from ketaclinic.billing.account_models import AccountEntry, Package, PatientPackage
from ketaclinic.clinics.models import Clinic
from ketaclinic.patients.models import Patient
from tests.conftest import Persona

TODAY = date(2026, 12, 9)


@dataclass
class Accounts:
    rosa: Patient
    dev: Patient
    away: Patient  # of the other clinic
    deposit: AccountEntry  # Rosa's card deposit, receipt R-0001
    cash: AccountEntry  # Rosa's cash payment today, R-0002
    card: AccountEntry  # Rosa's card payment today, R-0003, partly refunded
    charge: AccountEntry  # Rosa's charge of 20 October


def patient(db: Session, clinic: Clinic, mrn: str, given: str, family: str) -> Patient:
    row = Patient(
        clinic_id=clinic.id,
        mrn=mrn,
        given_name=given,
        family_name=family,
        search_name=f"{given} {family}".lower(),
        birth_date=date(1979, 5, 2),
        sex_at_birth="female",
        address_line="12 Elm Street",
        city="Austin",
        region="TX",
        postal_code="78701",
        email=f"{given.lower()}@example.net",
    )
    db.add(row)
    db.flush()
    return row


def entry(
    db: Session, who: Patient, kind: str, cents: int, day: date, **more: object
) -> AccountEntry:
    row = AccountEntry(
        clinic_id=who.clinic_id,
        patient_id=who.id,
        kind=kind,
        amount_cents=cents,
        posted_on=day,
        **more,
    )
    db.add(row)
    db.flush()
    return row


def write_accounts(
    db: Session, clinic: Clinic, other: Clinic, desk: Persona, boss: Persona
) -> Accounts:
    rosa = patient(db, clinic, "AC00001", "Rosa", "Okafor")
    dev = patient(db, clinic, "AC00002", "Dev", "Patel")
    away = patient(db, other, "AC00003", "Ana", "Away")
    package = Package(
        clinic_id=clinic.id,
        key="induction-6",
        name="Six-infusion induction",
        kind="induction",
        visits=6,
        price_cents=270_000,
    )
    db.add(package)
    db.flush()
    sold = PatientPackage(
        clinic_id=clinic.id,
        patient_id=rosa.id,
        package_id=package.id,
        name=package.name,
        visits=6,
        price_cents=270_000,
        sold_on=date(2026, 8, 1),
    )
    db.add(sold)
    db.flush()
    entry(db, rosa, "package_sale", 270_000, date(2026, 8, 1), patient_package_id=sold.id)
    deposit = entry(
        db,
        rosa,
        "payment",
        -100_000,
        date(2026, 8, 1),
        method="card",
        reference="ch_3PdepA",
        purpose="deposit",
        receipt_no="R-0001",
        by_id=desk.user.id,
    )
    charge = entry(db, rosa, "charge", 45_000, date(2026, 10, 20))
    entry(db, rosa, "charge", 12_000, date(2026, 12, 1))
    cash = entry(
        db,
        rosa,
        "payment",
        -50_000,
        TODAY,
        method="cash",
        purpose="payment",
        receipt_no="R-0002",
        by_id=desk.user.id,
    )
    card = entry(
        db,
        rosa,
        "payment",
        -20_000,
        TODAY,
        method="card",
        reference="ch_3PcardB",
        purpose="payment",
        receipt_no="R-0003",
        by_id=boss.user.id,
    )
    entry(db, rosa, "refund", 5_000, TODAY, method="card", refund_of_id=card.id, by_id=boss.user.id)
    entry(
        db,
        dev,
        "payment",
        -30_000,
        TODAY,
        method="card",
        purpose="deposit",
        receipt_no="R-0004",
        by_id=desk.user.id,
    )
    entry(
        db, away, "payment", -99_900, TODAY, method="cash", purpose="payment", receipt_no="H-0001"
    )
    db.commit()
    return Accounts(rosa, dev, away, deposit, cash, card, charge)


@pytest.fixture
def accounts(
    db: Session, clinic: Clinic, other_clinic: Clinic, front_desk: Persona, admin: Persona
) -> Accounts:
    return write_accounts(db, clinic, other_clinic, front_desk, admin)
