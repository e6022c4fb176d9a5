"""The clinic's package catalogue (an induction series, booster packs at the clinic's
own price) and selling a package to a patient. A catalogue change is a new row of
the package's ``key`` (the newest counts; retiring is a row with ``active`` false),
so every price ever asked stays. Every step audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import account_repository as arepo
from ketaclinic.billing import repository as repo
from ketaclinic.billing.account_errors import (
    AccountPatientNotFound,
    PackageKindInvalid,
    PackageNameRequired,
    PackageNotFound,
    PackagePriceInvalid,
    PackageRetired,
    PackageVisitsInvalid,
)
from ketaclinic.billing.account_models import AccountEntry, Package, PatientPackage
from ketaclinic.clinical.billing.accounts import PACKAGE_KINDS
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import recorded_now
from ketaclinic.patients.models import Patient

MAX_VISITS = 52
MAX_PRICE_CENTS = 99_999_999


@dataclass(frozen=True)
class CatalogueRow:
    """A package as sold today (its newest version) with its earlier versions."""

    current: Package
    history: list[Package]


def clinics_of(principal: Principal) -> list[int]:
    return sorted(principal.roles)


def _may_read(principal: Principal, clinic_id: int) -> None:
    if not (
        principal.can(Permission.BILLING, clinic_id)
        or principal.can(Permission.SETTINGS_MANAGE, clinic_id)
    ):
        principal.require(Permission.BILLING, clinic_id)


def catalogue(
    db: Session, principal: Principal, clinic_id: int, *, retired: bool = True
) -> list[CatalogueRow]:
    """Every package of the clinic by its newest version (retired ones too unless
    ``retired`` is false), in name order."""
    _may_read(principal, clinic_id)
    by_key: dict[str, list[Package]] = {}
    for row in arepo.packages(db, clinics_of(principal), clinic_id):
        by_key.setdefault(row.key, []).append(row)
    rows = [CatalogueRow(versions[-1], versions) for versions in by_key.values()]
    if not retired:
        rows = [row for row in rows if row.current.active]
    return sorted(rows, key=lambda row: row.current.name.lower())


def _key_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "package"


def save_package(
    db: Session,
    principal: Principal,
    clinic_id: int,
    *,
    name: str,
    kind: str,
    visits: int,
    price_cents: int,
    key: str | None = None,
    active: bool = True,
) -> Package:
    """A new package (no ``key``) or a new version of one (its ``key``): the earlier
    versions stay, and what was sold keeps its own name, visits and price."""
    principal.require(Permission.SETTINGS_MANAGE, clinic_id)
    name = " ".join(name.split())
    if not 3 <= len(name) <= 120:
        raise PackageNameRequired()
    if kind not in PACKAGE_KINDS:
        raise PackageKindInvalid()
    if not 1 <= visits <= MAX_VISITS:
        raise PackageVisitsInvalid()
    if not 0 <= price_cents <= MAX_PRICE_CENTS:
        raise PackagePriceInvalid()
    ids = clinics_of(principal)
    if key is not None and arepo.newest_of_key(db, ids, clinic_id, key) is None:
        raise PackageNotFound()
    if key is None:
        key = base = _key_of(name)
        n = 1
        while arepo.newest_of_key(db, ids, clinic_id, key) is not None:
            n += 1
            key = f"{base[:36]}-{n}"
    row = Package(
        clinic_id=clinic_id,
        key=key,
        name=name,
        kind=kind,
        visits=visits,
        price_cents=price_cents,
        active=active,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        principal,
        "billing.package_saved",
        clinic_id=clinic_id,
        resource_type="billing_package",
        resource_id=row.id,
        detail={"key": key, "visits": visits, "price_cents": price_cents, "active": active},
    )
    return row


def retire(db: Session, principal: Principal, clinic_id: int, key: str) -> Package:
    """Stop selling a package (a new version with ``active`` false); sold ones stay."""
    principal.require(Permission.SETTINGS_MANAGE, clinic_id)
    current = arepo.newest_of_key(db, clinics_of(principal), clinic_id, key)
    if current is None:
        raise PackageNotFound()
    return save_package(
        db,
        principal,
        clinic_id,
        name=current.name,
        kind=current.kind,
        visits=current.visits,
        price_cents=current.price_cents,
        key=key,
        active=False,
    )


def patient_for_billing(db: Session, principal: Principal, patient_id: int) -> Patient:
    found = repo.patient(db, clinics_of(principal), patient_id)
    if found is None:
        raise AccountPatientNotFound()
    principal.require(Permission.BILLING, found.clinic_id)
    return found


def sell(
    db: Session, principal: Principal, patient_id: int, package_id: int, on: date | None = None
) -> PatientPackage:
    """Sell the patient a package of the catalogue at its price today: the package
    with its name, visits and price as sold, and its price on the account."""
    patient = patient_for_billing(db, principal, patient_id)
    ids = clinics_of(principal)
    offered = arepo.package(db, ids, package_id)
    if offered is None or offered.clinic_id != patient.clinic_id:
        raise PackageNotFound()
    current = arepo.newest_of_key(db, ids, offered.clinic_id, offered.key)
    if current is None or current.id != offered.id or not current.active:
        raise PackageRetired()
    today = today_at(db, patient.clinic_id)
    today = min(on, today) if on else today  # sold earlier, recorded now: never ahead
    now = recorded_now()
    sold = PatientPackage(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        package_id=offered.id,
        name=offered.name,
        visits=offered.visits,
        price_cents=offered.price_cents,
        sold_on=today,
        by_id=principal.user_id,
        at=now,
    )
    db.add(sold)
    db.flush()
    db.add(
        AccountEntry(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            kind="package_sale",
            amount_cents=offered.price_cents,
            posted_on=today,
            reference="",
            patient_package_id=sold.id,
            note=offered.name,
            by_id=principal.user_id,
            at=now,
        )
    )
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.package_sold",
        patient,
        resource_type="patient_package",
        resource_id=sold.id,
        detail={
            "package": offered.key,
            "visits": offered.visits,
            "price_cents": offered.price_cents,
        },
    )
    return sold
