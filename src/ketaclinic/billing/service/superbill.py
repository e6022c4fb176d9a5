"""A superbill: what a payer asks for to reimburse a self-pay patient, for one visit
or a date range. Only final lines go on it (a draft may still change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import repository as repo
from ketaclinic.billing.errors import BillingPatientNotFound, DateRangeInvalid
from ketaclinic.billing.models import ChargeLine
from ketaclinic.billing.service import accounts
from ketaclinic.billing.service.charges import clinics_of
from ketaclinic.clinics.models import Clinic
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.patients.models import Patient


@dataclass(frozen=True)
class Provider:
    name: str
    npi: str


@dataclass(frozen=True)
class Superbill:
    clinic_name: str
    clinic_address: str
    billing_npi: str
    tin: str
    patient: Patient
    payer: str
    member_id: str
    first: date
    last: date
    diagnoses: tuple[str, ...]  # the claim's ICD-10-CM codes, letter A first
    lines: list[ChargeLine]
    providers: dict[int, Provider]
    paid_cents: int  # service.accounts.paid_for_superbill: package shares and money received

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents or 0 for line in self.lines)

    @property
    def balance_cents(self) -> int:
        return self.total_cents - self.paid_cents

    def pointer_codes(self, line: ChargeLine) -> str:
        """The line's pointers as letters into this superbill's diagnosis list."""
        own = line.diagnoses.split()
        letters = []
        for letter in line.pointers:
            index = "ABCDEFGHIJKL".index(letter)
            if index < len(own) and own[index] in self.diagnoses:
                letters.append("ABCDEFGHIJKL"[self.diagnoses.index(own[index])])
        return "".join(letters)


def build(
    db: Session,
    principal: Principal | None,
    patient: Patient,
    clinic: Clinic,
    first: date,
    last: date,
    *,
    actor: str | None = None,
    origin: Origin | None = None,
) -> Superbill:
    """The superbill of ``patient`` between ``first`` and ``last`` (inclusive). The
    caller checked who may see it (staff with billing, or the patient themself)."""
    if last < first:
        raise DateRangeInvalid()
    ids = [patient.clinic_id]
    lines = [
        line
        for line in repo.lines_of_patient(db, ids, patient.id, first, last)
        if line.status == "final"
    ]
    diagnoses: list[str] = []
    for line in lines:
        for code in line.diagnoses.split():
            if code not in diagnoses and len(diagnoses) < 12:
                diagnoses.append(code)
    clinic_ids = repo.identifier(db, ids, clinic.id, None)
    renderers = {line.rendering_user_id for line in lines if line.rendering_user_id}
    names = repo.users_named(db, renderers)
    providers = {}
    for uid in renderers:
        own = repo.identifier(db, ids, clinic.id, uid)
        providers[uid] = Provider(names.get(uid, ""), own.npi if own else "")
    coverage = repo.coverage(db, ids, patient.id)
    total = sum(line.amount_cents or 0 for line in lines)
    paid = accounts.paid_for_superbill(
        db, patient, {line.session_id for line in lines}, total, first, last
    )
    audit.on_patient(
        db,
        principal,
        "patient.billing.superbill",
        patient,
        resource_type="patient",
        resource_id=patient.id,
        detail={"from": first.isoformat(), "to": last.isoformat(), "lines": len(lines)},
        actor=actor,
        origin=origin,
    )
    return Superbill(
        clinic_name=clinic.name,
        clinic_address=clinic.address,
        billing_npi=clinic_ids.npi if clinic_ids else "",
        tin=clinic_ids.tin if clinic_ids else "",
        patient=patient,
        payer=coverage.payer if coverage else "",
        member_id=coverage.member_id if coverage else "",
        first=first,
        last=last,
        diagnoses=tuple(diagnoses),
        lines=lines,
        providers=providers,
        paid_cents=paid,
    )


def patient_for_staff(db: Session, principal: Principal, patient_id: int) -> Patient:
    found = repo.patient(db, clinics_of(principal), patient_id)
    if found is None:
        raise BillingPatientNotFound()
    principal.require(Permission.BILLING, found.clinic_id)
    return found


def patient_by_mrn(db: Session, principal: Principal, mrn: str) -> Patient:
    found = repo.patient_by_mrn(db, clinics_of(principal), mrn)
    if found is None:
        raise BillingPatientNotFound(f"No patient with MRN {mrn}.")
    principal.require(Permission.BILLING, found.clinic_id)
    return found


def patient_for_system(db: Session, mrn: str, clinic_ids: list[int]) -> Patient:
    """A patient by MRN for a command run on the server (every clinic it names)."""
    found = repo.patient_by_mrn(db, clinic_ids, mrn)
    if found is None:
        raise BillingPatientNotFound(f"No patient with MRN {mrn}.")
    return found


def patient_of_own(db: Session, clinic_id: int, patient_id: int) -> Patient:
    """The signed-in portal patient's own record."""
    found = repo.patient(db, [clinic_id], patient_id)
    if found is None:
        raise BillingPatientNotFound()
    return found
