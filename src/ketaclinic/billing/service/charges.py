"""A visit's charge lines: made from the chart when the visit completes (or on
demand), reviewed, finalised, corrected by new lines. Every step audited."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import repository as repo
from ketaclinic.billing.errors import (
    ChargeAlreadyFinal,
    ChargeLineNotFound,
    ChargeNotReady,
    CorrectionOfDraft,
    CorrectionReasonRequired,
    EvaluationCodeInvalid,
    EvaluationNoteRequired,
    NdcInvalid,
    UnitsInvalid,
    UnknownCode,
    VisitNotCompleted,
    VisitNotFound,
)
from ketaclinic.billing.models import ChargeLine, Coverage, Evaluation
from ketaclinic.billing.service import draws
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.clinical.billing import (
    EVALUATION_CODES,
    CodeNotInEffect,
    Visit,
    charges_for,
    charted_minutes,
    code_book,
)
from ketaclinic.clinical.treatment import get_protocol
from ketaclinic.clinical.treatment.loader import UnknownProtocolError
from ketaclinic.clinics.service import timezone_of
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.time import as_utc, recorded_now, to_local
from ketaclinic.patients.models import Patient

COMPLETED = repo.COMPLETED


@dataclass(frozen=True)
class VisitCharges:
    session: ChairsideSession
    patient: Patient
    lines: list[ChargeLine]
    problems: dict[str, str]
    evaluation: Evaluation | None
    people: dict[int, str]
    coverage: Coverage | None = None

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents or 0 for line in self.lines)

    @property
    def drafts(self) -> list[ChargeLine]:
        return [line for line in self.lines if line.status == "draft"]


def clinics_of(principal: Principal) -> list[int]:
    return sorted(principal.roles)


def _found(db: Session, principal: Principal, session_id: int) -> tuple[ChairsideSession, Patient]:
    found = repo.session(db, clinics_of(principal), session_id)
    if found is None:
        raise VisitNotFound()
    return found


def _given_mg(db: Session, principal: Principal, s: ChairsideSession) -> Decimal | None:
    """The amount the chart says was given: the end (or early stop) of the
    administration records it; without a ledger draw the released dose was given;
    ``None`` when the chart records neither."""
    if s.administration_started_at is None:
        return Decimal(0)
    for event in reversed(repo.events(db, clinics_of(principal), s.id)):
        if event.action in ("end_administration", "stop") and event.detail:
            given = json.loads(event.detail).get("given_mg")
            if given is not None:
                return Decimal(str(given))
    return repo.released_mg(db, clinics_of(principal), s.id)


def visit_of(db: Session, principal: Principal, s: ChairsideSession) -> Visit | None:
    """The pure core's view of a completed session; ``None`` when its protocol is not
    one the code book knows how to bill."""
    try:
        protocol = get_protocol(s.protocol_id)
    except UnknownProtocolError:
        return None
    ids = clinics_of(principal)
    events = repo.events(db, ids, s.id)
    steps = [(e.action, as_utc(e.at)) for e in events]
    started = as_utc(s.administration_started_at) if s.administration_started_at else None
    ended = s.administration_ended_at or (events[-1].at if events else s.created_at)
    minutes = charted_minutes(started, steps, as_utc(ended))
    when = s.administration_started_at or s.checked_in_at or s.created_at
    day = to_local(as_utc(when), timezone_of(db, s.clinic_id)).date()
    evaluation = repo.evaluation(db, ids, s.id)
    ndc = repo.ndc_of_draw(db, ids, s.draw_entry_id) if s.draw_entry_id else None
    return Visit(
        date_of_service=day,
        route=protocol.route,
        drug=protocol.drug,
        given_mg=_given_mg(db, principal, s),
        infused_min=minutes,
        ndc=ndc,
        evaluation=evaluation.code if evaluation else None,
        diagnoses=tuple(repo.diagnoses(db, ids, s.patient_id)),
    )


def _price(db: Session, principal: Principal, line: ChargeLine) -> None:
    fee = repo.fee_on(db, clinics_of(principal), line.clinic_id, line.code, line.date_of_service)
    line.unit_price_cents = fee.price_cents if fee else None
    line.amount_cents = fee.price_cents * line.units if fee else None


def generate(db: Session, principal: Principal, session_id: int) -> dict[str, str]:
    """(Re)make a completed visit's draft lines from the chart; final lines stay as
    they are. Answers the problems the rules found (an empty dict when none)."""
    s, patient = _found(db, principal, session_id)
    if s.state not in COMPLETED:
        raise VisitNotCompleted()
    ids = clinics_of(principal)
    existing = repo.lines_of_session(db, ids, s.id)
    if any(line.status == "final" for line in existing):
        return {}
    for line in existing:
        db.delete(line)
    visit = visit_of(db, principal, s)
    if visit is None:
        return {"protocol": "this protocol has no billing rules"}
    result = charges_for(visit)
    evaluation = repo.evaluation(db, ids, s.id)
    rendering = evaluation.by_id if evaluation else repo.prescriber_signer(db, ids, s.id)
    for pure in result.lines:
        line = ChargeLine(
            clinic_id=s.clinic_id,
            patient_id=s.patient_id,
            session_id=s.id,
            date_of_service=result.date_of_service,
            place_of_service=result.place_of_service,
            code=pure.code,
            description=pure.description,
            modifiers=" ".join(pure.modifiers),
            units=pure.units,
            ndc=pure.ndc,
            ndc_quantity=pure.ndc_quantity,
            ndc_unit=pure.ndc_unit,
            diagnoses=" ".join(result.diagnoses),
            pointers="".join(pure.pointers),
            rendering_user_id=rendering,
            source=pure.source,
            status="draft",
            reason="",
            created_by_id=principal.user_id,
            created_at=recorded_now(),
        )
        _price(db, principal, line)
        db.add(line)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.charges_made",
        patient,
        resource_type="chairside_session",
        resource_id=s.id,
        detail={
            "codes": [f"{line.code}x{line.units}" for line in result.lines],
            "problems": sorted(result.problems),
        },
    )
    return dict(result.problems)


def generate_missing(db: Session, principal: Principal, clinic_id: int) -> int:
    """Charges for the clinic's completed visits that have none yet (on demand)."""
    principal.require(Permission.BILLING, clinic_id)
    made = 0
    for session_id in repo.completed_without_charges(db, clinics_of(principal), clinic_id):
        generate(db, principal, session_id)
        made += 1
    return made


def visit_charges(
    db: Session, principal: Principal, session_id: int, *, audited: bool = True
) -> VisitCharges:
    s, patient = _found(db, principal, session_id)
    principal.require(Permission.BILLING, s.clinic_id)
    ids = clinics_of(principal)
    lines = repo.lines_of_session(db, ids, s.id)
    problems: dict[str, str] = {}
    visit = visit_of(db, principal, s) if s.state in COMPLETED else None
    if visit is not None:
        problems = dict(charges_for(visit).problems)
    for line in lines:
        if line.status == "draft" and (why := not_ready(line)):
            problems[f"line {line.code}"] = why
    evaluation = repo.evaluation(db, ids, s.id)
    people = repo.users_named(
        db,
        {
            uid
            for line in lines
            for uid in (line.rendering_user_id, line.finalised_by_id)
            if uid is not None
        }
        | ({evaluation.by_id} if evaluation else set()),
    )
    if audited:
        audit.on_patient(
            db,
            principal,
            "patient.read",
            patient,
            resource_type="chairside_session",
            resource_id=s.id,
            detail={"purpose": "billing"},
        )
    coverage = repo.coverage(db, ids, s.patient_id)
    return VisitCharges(s, patient, lines, problems, evaluation, people, coverage)


def not_ready(line: ChargeLine) -> str | None:
    """Why a draft line cannot be finalised; ``None`` when it can."""
    if line.amount_cents is None:
        return f"the fee schedule has no price for {line.code} on {line.date_of_service}"
    if not line.pointers and line.corrects_id is None:
        return "no diagnosis to point to"
    if line.code == "J3490" and not line.ndc:
        return "J3490 needs the product's NDC"
    return None


def _line(db: Session, principal: Principal, line_id: int, *, lock: bool = False) -> ChargeLine:
    line = repo.line(db, clinics_of(principal), line_id, lock=lock)
    if line is None:
        raise ChargeLineNotFound()
    principal.require(Permission.BILLING, line.clinic_id)
    return line


def _patient(db: Session, principal: Principal, line: ChargeLine) -> Patient:
    found = repo.patient(db, clinics_of(principal), line.patient_id)
    assert found is not None  # the line was read in the same clinics
    return found


def finalise(db: Session, principal: Principal, line_id: int) -> ChargeLine:
    line = _line(db, principal, line_id, lock=True)
    if line.status == "final":
        raise ChargeAlreadyFinal()
    why = not_ready(line)
    if why:
        raise ChargeNotReady(f"This line cannot be finalised: {why}.")
    line.status = "final"
    line.finalised_by_id = principal.user_id
    line.finalised_at = recorded_now()
    db.flush()
    patient = _patient(db, principal, line)
    audit.on_patient(
        db,
        principal,
        "patient.billing.charge_finalised",
        patient,
        resource_type="charge_line",
        resource_id=line.id,
        detail={"code": line.code, "units": line.units, "amount_cents": line.amount_cents},
    )
    draws.on_final(db, principal, line, patient)  # the account's entry, a package's draw
    return line


def finalise_visit(db: Session, principal: Principal, session_id: int) -> list[ChargeLine]:
    charges = visit_charges(db, principal, session_id, audited=False)
    return [finalise(db, principal, line.id) for line in charges.drafts]


def correct(
    db: Session,
    principal: Principal,
    line_id: int,
    reason: str,
    code: str | None = None,
    units: int | None = None,
) -> list[ChargeLine]:
    """Reverse a final line by a new draft line (negative units and amount) and,
    when a code is given, add the right line beside it; both reviewed like any."""
    line = _line(db, principal, line_id, lock=True)
    if line.status != "final":
        raise CorrectionOfDraft()
    if len(reason.strip()) < 3:
        raise CorrectionReasonRequired()
    made = [_copy(line, units=-line.units, corrects_id=line.id, reason=reason.strip())]
    made[0].created_by_id = principal.user_id
    if code:
        if units is None or not 1 <= units <= 999:
            raise UnitsInvalid()
        try:
            entry = code_book().get(code, line.date_of_service)
        except CodeNotInEffect:
            raise UnknownCode(f"{code} is not a code in effect on {line.date_of_service}") from None
        fresh = _copy(line, units=units, corrects_id=None, reason=reason.strip())
        fresh.code, fresh.description, fresh.source = code, entry.description, entry.source
        fresh.modifiers = "25" if code in EVALUATION_CODES else ""
        fresh.created_by_id = principal.user_id
        _price(db, principal, fresh)
        made.append(fresh)
    made[0].unit_price_cents = line.unit_price_cents
    made[0].amount_cents = -(line.amount_cents or 0)
    for new in made:
        db.add(new)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.charge_corrected",
        _patient(db, principal, line),
        resource_type="charge_line",
        resource_id=line.id,
        detail={"reason": reason.strip(), "new_lines": [n.id for n in made]},
    )
    return made


def _copy(line: ChargeLine, *, units: int, corrects_id: int | None, reason: str) -> ChargeLine:
    return ChargeLine(
        clinic_id=line.clinic_id,
        patient_id=line.patient_id,
        session_id=line.session_id,
        date_of_service=line.date_of_service,
        place_of_service=line.place_of_service,
        code=line.code,
        description=line.description,
        modifiers=line.modifiers,
        units=units,
        ndc=line.ndc,
        ndc_quantity=line.ndc_quantity,
        ndc_unit=line.ndc_unit,
        diagnoses=line.diagnoses,
        pointers=line.pointers,
        rendering_user_id=line.rendering_user_id,
        source=line.source,
        status="draft",
        corrects_id=corrects_id,
        reason=reason,
        created_at=recorded_now(),
    )


def document_evaluation(
    db: Session, principal: Principal, session_id: int, code: str, note: str
) -> Evaluation:
    """A prescriber documents a separately identifiable evaluation (E/M, modifier 25);
    the visit's draft lines are remade with it."""
    s, patient = _found(db, principal, session_id)
    principal.require(Permission.PLAN_SIGN, s.clinic_id)
    if code not in EVALUATION_CODES:
        raise EvaluationCodeInvalid()
    if len(note.strip()) < 10:
        raise EvaluationNoteRequired()
    evaluation = Evaluation(
        clinic_id=s.clinic_id,
        patient_id=s.patient_id,
        session_id=s.id,
        code=code,
        note=note.strip(),
        by_id=principal.user_id,
        at=recorded_now(),
    )
    db.add(evaluation)
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.evaluation_documented",
        patient,
        resource_type="chairside_session",
        resource_id=s.id,
        detail={"code": code},
    )
    if s.state in COMPLETED:
        generate(db, principal, s.id)
    return evaluation


def after_step(db: Session, principal: Principal, session_id: int) -> None:
    """Called after a chairside step: a visit that has just completed gets its draft
    charge lines from the chart (whoever charted it; the review is billing's)."""
    s, _patient = _found(db, principal, session_id)
    if s.state in COMPLETED and not repo.lines_of_session(db, clinics_of(principal), s.id):
        generate(db, principal, s.id)


_NDC = re.compile(r"^(\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2})$")


def set_ndc(db: Session, principal: Principal, line_id: int, ndc: str) -> ChargeLine:
    """The product's NDC on a draft drug line whose chart has no ledger draw to name it
    (a visit charted before the ledger, or a drug from outside it)."""
    line = _line(db, principal, line_id, lock=True)
    if line.status == "final":
        raise ChargeAlreadyFinal()
    ndc = ndc.strip()
    if not _NDC.match(ndc):
        raise NdcInvalid()
    line.ndc = ndc
    db.flush()
    audit.on_patient(
        db,
        principal,
        "patient.billing.ndc_set",
        _patient(db, principal, line),
        resource_type="charge_line",
        resource_id=line.id,
        detail={"ndc": ndc},
    )
    return line


def completed_since(db: Session, principal: Principal, clinic_id: int, since: date) -> list[int]:
    """The clinic's completed visits from ``since`` on that have no charges yet."""
    principal.require(Permission.BILLING, clinic_id)
    return repo.completed_without_charges(db, clinics_of(principal), clinic_id, since)
