"""A visit's insurance claim: its final lines as CMS-1500 forms (JSON) and the CSV a
clearinghouse takes (docs/clinical-references.md#cms-1500). Only final lines go on
a claim; a final line reversed by a final correction leaves it with its reversal.
Audited on the patient like every billing read."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast, get_args

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import repository as repo
from ketaclinic.billing.errors import ClaimIncomplete, VisitNotFound
from ketaclinic.billing.models import ChargeLine, Coverage
from ketaclinic.billing.service import accounts
from ketaclinic.billing.service.charges import clinics_of
from ketaclinic.clinical.billing import cms1500, cms1500_csv
from ketaclinic.clinical.billing.charges import POINTER_LETTERS as LETTERS
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Origin, Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.patients.models import Patient

_SEX = {"female": "F", "male": "M"}


@dataclass(frozen=True)
class ClaimForms:
    session_id: int
    patient: Patient
    forms: list[dict[str, Any]]

    @property
    def lines(self) -> int:
        return sum(len(form["24"]) for form in self.forms)


def claim_lines(lines: Sequence[ChargeLine]) -> list[ChargeLine]:
    """The final lines a claim carries: a final reversal and the line it reverses
    cancel out; a draft (still under review) never goes."""
    final = [line for line in lines if line.status == "final"]
    reversed_ids = {line.corrects_id for line in final if line.corrects_id is not None}
    return [line for line in final if line.corrects_id is None and line.id not in reversed_ids]


def _diagnoses(lines: Sequence[ChargeLine]) -> tuple[tuple[str, ...], dict[int, str]]:
    """The claim's diagnosis list (A-L, in first-seen order) and each line's pointers
    into it (a line's own pointers index its own diagnoses)."""
    codes: list[str] = []
    for line in lines:
        for code in line.diagnoses.split():
            if code not in codes and len(codes) < len(LETTERS):
                codes.append(code)
    pointers: dict[int, str] = {}
    for line in lines:
        own = line.diagnoses.split()
        letters = ""
        for letter in line.pointers:
            index = LETTERS.index(letter)
            if index < len(own) and own[index] in codes:
                letters += LETTERS[codes.index(own[index])]
        pointers[line.id] = letters
    return tuple(codes), pointers


def _build(
    db: Session, ids: list[int], session_id: int
) -> tuple[Patient, cms1500.Claim, list[ChargeLine]]:
    found = repo.session(db, ids, session_id)
    if found is None:
        raise VisitNotFound()
    s, patient = found
    lines = claim_lines(repo.lines_of_session(db, ids, s.id))
    clinic = db.get(Clinic, s.clinic_id)
    assert clinic is not None  # the session's clinic
    coverage = repo.coverage(db, ids, patient.id)
    billing_ids = repo.identifier(db, ids, clinic.id, None)
    renderers = {line.rendering_user_id for line in lines if line.rendering_user_id}
    names = repo.users_named(db, renderers)
    npis = {}
    for uid in renderers:
        own = repo.identifier(db, ids, clinic.id, uid)
        if own is None:
            who = names.get(uid, "the rendering clinician")
            message = f"{who} has no NPI on file (item 24J)"
            raise ClaimIncomplete(
                f"The claim cannot be made: {message}.", {"rendering_npi": message}
            )
        npis[uid] = own.npi
    diagnoses, pointers = _diagnoses(lines)
    billing = cms1500.Provider(
        name=clinic.name, npi=billing_ids.npi if billing_ids else "", address=clinic.address
    )
    person = cms1500.Person(
        family_name=patient.family_name,
        given_name=patient.given_name,
        birth_date=patient.birth_date,
        sex=_SEX.get(patient.sex_at_birth, ""),
        street=patient.address_line or "",
        city=patient.city or "",
        state=patient.region or "",
        zip_code=patient.postal_code or "",
        phone=patient.phone or "",
    )
    payer = coverage.payer if coverage else ""
    # Item 31: the rendering clinician, else the billing provider (the clinic) signs.
    first_renderer = next((line.rendering_user_id for line in lines if line.rendering_user_id), 0)
    claim = cms1500.Claim(
        patient=person,
        account_number=patient.mrn,
        payer=payer,
        member_id=coverage.member_id if coverage else "",
        insurance_type=_plan_type(coverage, payer),
        relationship=_relationship(coverage),
        insured=_insured(coverage, person),
        group_number=coverage.group_number if coverage else "",
        plan_name=coverage.plan_name if coverage else "",
        diagnoses=diagnoses,
        lines=tuple(
            cms1500.ServiceLine(
                date_of_service=line.date_of_service,
                place_of_service=line.place_of_service,
                code=line.code,
                units=line.units,
                charge_cents=line.amount_cents or 0,
                pointers=pointers[line.id],
                modifiers=tuple(line.modifiers.split()),
                rendering_npi=npis.get(line.rendering_user_id or 0, ""),
                ndc=line.ndc,
                ndc_quantity=line.ndc_quantity,
                ndc_unit=line.ndc_unit,
            )
            for line in lines
        ),
        billing=billing,
        facility=billing,
        tin=billing_ids.tin if billing_ids else "",
        physician_signature=names.get(first_renderer, clinic.name),
        signed_on=today_at(db, clinic.id),
        # Item 29: what the patient paid toward this visit (a package's share for it, money
        # received that day), as the superbill counts it.
        paid_cents=_paid(db, patient, s.id, lines),
    )
    return patient, claim, lines


def _forms(
    db: Session,
    principal: Principal | None,
    ids: list[int],
    session_id: int,
    *,
    actor: str | None = None,
    origin: Origin | None = None,
) -> ClaimForms:
    patient, claim, lines = _build(db, ids, session_id)
    if principal is not None:
        principal.require(Permission.BILLING, patient.clinic_id)
    try:
        forms = cms1500.forms_of(claim)
    except cms1500.ClaimIncomplete as exc:
        raise ClaimIncomplete(
            f"The claim cannot be made: {exc.message}.", {exc.field: exc.message}
        ) from None
    audit.on_patient(
        db,
        principal,
        "patient.billing.cms1500",
        patient,
        resource_type="chairside_session",
        resource_id=session_id,
        detail={"lines": len(lines), "forms": len(forms)},
        actor=actor,
        origin=origin,
    )
    return ClaimForms(session_id, patient, forms)


def cms1500_forms(db: Session, principal: Principal, session_id: int) -> ClaimForms:
    """The visit's CMS-1500 forms for staff with the billing permission."""
    return _forms(db, principal, clinics_of(principal), session_id)


def cms1500_for_system(
    db: Session, session_id: int, clinic_ids: list[int], *, actor: str, origin: Origin
) -> ClaimForms:
    """The same for a command run on the server (every clinic it names)."""
    return _forms(db, None, clinic_ids, session_id, actor=actor, origin=origin)


def to_json(found: ClaimForms) -> str:
    """The forms as the API answers them, for a file."""
    body = {
        "session_id": found.session_id,
        "patient_id": found.patient.id,
        "lines": found.lines,
        "forms": found.forms,
    }
    return json.dumps(body, indent=2) + "\n"


def to_csv(found: ClaimForms) -> str:
    """One row per service line with the claim-level items repeated on it."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=cms1500_csv.CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(cms1500_csv.csv_rows(found.forms))
    return out.getvalue()


def _plan_type(coverage: Coverage | None, payer: str) -> cms1500.InsuranceType:
    """Item 1: the type staff chose, else the one the payer's name suggests."""
    chosen = coverage.plan_type if coverage else None
    for kind in get_args(cms1500.InsuranceType):
        if kind == chosen:
            return cast(cms1500.InsuranceType, kind)
    return cms1500.insurance_type_of(payer)


def _relationship(coverage: Coverage | None) -> cms1500.Relationship:
    for kind in get_args(cms1500.Relationship):
        if coverage is not None and kind == coverage.relationship:
            return cast(cms1500.Relationship, kind)
    return "self"


def _insured(coverage: Coverage | None, patient: cms1500.Person) -> cms1500.Person | None:
    """Items 4 and 11a: the insured as on the card when it is not the patient; the
    patient's address stands for theirs (item 7: coverage keeps no other)."""
    if coverage is None or coverage.relationship == "self":
        return None
    return cms1500.Person(
        family_name=coverage.insured_family_name,
        given_name=coverage.insured_given_name,
        birth_date=coverage.insured_birth_date,
        sex=coverage.insured_sex,
        street=patient.street,
        city=patient.city,
        state=patient.state,
        zip_code=patient.zip_code,
        phone=patient.phone,
    )


def _paid(db: Session, patient: Patient, session_id: int, lines: Sequence[ChargeLine]) -> int:
    if not lines:
        return 0
    day = lines[0].date_of_service
    total = sum(line.amount_cents or 0 for line in lines)
    return accounts.paid_for_superbill(db, patient, {session_id}, total, day, day)
