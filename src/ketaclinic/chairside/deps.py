"""Request helpers for chairside charting, shared by its pages and its API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.requests import Request

from ketaclinic.chairside import service
from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
from ketaclinic.identity.principal import Principal
from ketaclinic.kit.fields import Id
from ketaclinic.ledger import service as ledger
from ketaclinic.ledger.deps import witnesses_for
from ketaclinic.ledger.schemas import WitnessIn
from ketaclinic.ledger.witnesses import Credentials, Witness
from ketaclinic.plans.deps import policy_of as plan_policy_of

T = TypeVar("T")


def load_chairside_data(app: Any) -> None:
    """At start-up: a malformed rules, checklist or vocabulary file stops the app."""
    app.state.alert_rules = load_alert_rules()
    app.state.checklist = load_checklist()
    app.state.vocabulary = load_vocabulary()


def policy_of(request: Request) -> service.ChairsidePolicy:
    settings = request.app.state.settings
    return service.ChairsidePolicy(
        plan=plan_policy_of(request),
        ledger=ledger.LedgerPolicy.from_settings(settings),
        rules=request.app.state.alert_rules,
        checklist=request.app.state.checklist,
        vocabulary=request.app.state.vocabulary,
    )


def committing(db: Session, work: Callable[[], T]) -> T:
    """Run a step whose refusal must stay on record (a failed credential, a dose
    mismatch, a discharge assessment): commit what it wrote, then refuse."""
    try:
        return work()
    except (service.DoseMismatch, service.DischargeRefused):
        db.commit()
        raise


def witnesses(
    request: Request,
    db: Session,
    principal: Principal,
    clinic_id: Id,
    given: Sequence[WitnessIn | Credentials],
) -> list[Witness]:
    return witnesses_for(request, db, principal, clinic_id, given) if given else []
