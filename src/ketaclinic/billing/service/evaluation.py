"""The prescriber's page for a separately identifiable evaluation: the visit it is
about and the evaluation documented so far (the newest counts). Recording it is
``charges.document_evaluation``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.billing import repository as repo
from ketaclinic.billing.errors import VisitNotFound
from ketaclinic.billing.models import Evaluation
from ketaclinic.billing.service.charges import COMPLETED, clinics_of
from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.patients.models import Patient

# CPT 2021 office E/M for an established patient: the level of medical decision making
# (docs/clinical-references.md#billing-codes).
LEVELS = {
    "99212": "straightforward medical decision making",
    "99213": "low medical decision making",
    "99214": "moderate medical decision making",
    "99215": "high medical decision making",
}


@dataclass(frozen=True)
class EvaluationPage:
    session: ChairsideSession
    patient: Patient
    evaluation: Evaluation | None
    by_name: str
    completed: bool


def evaluation_page(db: Session, principal: Principal, session_id: int) -> EvaluationPage:
    """The visit and its evaluation for whoever may document one (``PLAN_SIGN``)."""
    ids = clinics_of(principal)
    found = repo.session(db, ids, session_id)
    if found is None:
        raise VisitNotFound()
    s, patient = found
    principal.require(Permission.PLAN_SIGN, s.clinic_id)
    evaluation = repo.evaluation(db, ids, s.id)
    names = repo.users_named(db, {evaluation.by_id} if evaluation else set())
    audit.on_patient(
        db,
        principal,
        "patient.read",
        patient,
        resource_type="chairside_session",
        resource_id=s.id,
        detail={"purpose": "evaluation"},
    )
    by = names.get(evaluation.by_id, "") if evaluation else ""
    return EvaluationPage(s, patient, evaluation, by, s.state in COMPLETED)
