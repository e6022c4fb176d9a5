"""The clinic's fee schedule (a price per code with its history), the identifiers a
claim carries (NPI, TIN) and the patient's coverage. Every change a new row, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import repository as repo
from ketaclinic.billing.errors import (
    BillingPatientNotFound,
    CoverageInvalid,
    NpiInvalid,
    PriceInvalid,
    TinInvalid,
    UnknownCode,
)
from ketaclinic.billing.models import BillingIdentifier, Coverage, FeeScheduleEntry
from ketaclinic.billing.service.charges import clinics_of
from ketaclinic.clinical.billing import code_book, normalise_tin, npi_problem, tin_problem
from ketaclinic.clinical.billing.coverage import InsuredPlan, insured_problems
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import recorded_now


@dataclass(frozen=True)
class FeeRow:
    code: str
    description: str
    current: FeeScheduleEntry | None
    history: list[FeeScheduleEntry]


def _may_read(principal: Principal, clinic_id: int) -> None:
    if not (
        principal.can(Permission.BILLING, clinic_id)
        or principal.can(Permission.SETTINGS_MANAGE, clinic_id)
    ):
        principal.require(Permission.BILLING, clinic_id)


def fee_schedule(db: Session, principal: Principal, clinic_id: int) -> list[FeeRow]:
    """Every code of the code book with the clinic's price today and its history."""
    _may_read(principal, clinic_id)
    today = today_at(db, clinic_id)
    entries = repo.fees(db, clinics_of(principal), clinic_id)
    rows = []
    seen: set[str] = set()
    for code in code_book().codes:
        if code.code in seen:
            continue
        seen.add(code.code)
        history = [e for e in entries if e.code == code.code]
        current = None
        for entry in history:
            if entry.effective_from <= today:
                current = entry  # ordered by start then id: the last one counts
        rows.append(FeeRow(code.code, code.description, current, history))
    return rows


def set_fee(
    db: Session,
    principal: Principal,
    clinic_id: int,
    code: str,
    price_cents: int,
    effective_from: date,
) -> FeeScheduleEntry:
    principal.require(Permission.SETTINGS_MANAGE, clinic_id)
    if not code_book().known(code):
        raise UnknownCode()
    if not 0 <= price_cents <= 99_999_999:
        raise PriceInvalid()
    entry = FeeScheduleEntry(
        clinic_id=clinic_id,
        code=code,
        price_cents=price_cents,
        effective_from=effective_from,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(entry)
    db.flush()
    audit.record(
        db,
        principal,
        "billing.fee_set",
        clinic_id=clinic_id,
        resource_type="billing_fee",
        resource_id=entry.id,
        detail={"code": code, "price_cents": price_cents, "from": effective_from.isoformat()},
    )
    return entry


def set_identifier(
    db: Session,
    principal: Principal,
    clinic_id: int,
    npi: str,
    tin: str = "",
    user_id: int | None = None,
) -> BillingIdentifier:
    """The clinic's billing NPI and TIN (no ``user_id``), or a clinician's NPI."""
    principal.require(Permission.SETTINGS_MANAGE, clinic_id)
    npi = npi.strip()
    if problem := npi_problem(npi):
        raise NpiInvalid(problem)
    if user_id is None or tin.strip():
        if problem := tin_problem(tin):
            raise TinInvalid(problem)
        tin = normalise_tin(tin)
    row = BillingIdentifier(
        clinic_id=clinic_id,
        user_id=user_id,
        npi=npi,
        tin=tin,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        principal,
        "billing.identifier_set",
        clinic_id=clinic_id,
        resource_type="billing_identifier",
        resource_id=row.id,
        detail={"user_id": user_id, "npi": npi, "tin": tin},
    )
    return row


def set_coverage(
    db: Session,
    principal: Principal,
    patient_id: int,
    payer: str,
    member_id: str,
    plan: InsuredPlan | None = None,
) -> Coverage:
    """The patient's insurer, member id and the insured's plan (a new row each time);
    a field that cannot go on a claim is refused by name before anything is written."""
    patient = repo.patient(db, clinics_of(principal), patient_id)
    if patient is None:
        raise BillingPatientNotFound()
    principal.require(Permission.BILLING, patient.clinic_id)
    plan = plan or InsuredPlan()
    problems = insured_problems(plan, today_at(db, patient.clinic_id))
    if problems:
        raise CoverageInvalid.of(problems)
    self_insured = plan.relationship == "self"
    row = Coverage(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        payer=payer.strip()[:120],
        member_id=member_id.strip()[:40],
        plan_type=plan.plan_type,
        group_number=plan.group_number[:30],
        plan_name=plan.plan_name[:120],
        relationship=plan.relationship,
        insured_family_name="" if self_insured else plan.family_name[:80],
        insured_given_name="" if self_insured else plan.given_name[:80],
        insured_birth_date=None if self_insured else plan.birth_date,
        insured_sex="" if self_insured else plan.sex,
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(row)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.coverage_set",
        patient,
        resource_type="billing_coverage",
        resource_id=row.id,
    )
    return row


def identifiers(
    db: Session, principal: Principal, clinic_id: int, user_ids: list[int]
) -> tuple[BillingIdentifier | None, dict[int, str]]:
    """The clinic's billing NPI and TIN, and the NPI of each of these clinicians."""
    _may_read(principal, clinic_id)
    ids = clinics_of(principal)
    own = {}
    for uid in user_ids:
        row = repo.identifier(db, ids, clinic_id, uid)
        if row is not None:
            own[uid] = row.npi
    return repo.identifier(db, ids, clinic_id, None), own
