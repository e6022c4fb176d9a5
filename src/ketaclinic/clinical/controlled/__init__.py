"""Controlled-substance rules (Schedule III ketamine and esketamine): the ledger's
invariants as a pure state machine, and the DEA reporting deadlines. The
persistence, hash chain, pages and reports build on these (issue 8)."""

from ketaclinic.clinical.controlled.amounts import UG_PER_MG, to_mg, to_ug
from ketaclinic.clinical.controlled.deadlines import (
    FORM_106_DAYS,
    LossDeadlines,
    add_business_days,
    loss_deadlines,
)
from ketaclinic.clinical.controlled.ledger import (
    DEFAULT_WASTE_WITNESSES,
    DESTRUCTION_WITNESSES,
    Adjust,
    Administer,
    Container,
    Destroy,
    Draw,
    DrawForSession,
    Ledger,
    LedgerError,
    Loss,
    Operation,
    Receive,
    Return,
    Reverse,
    Transfer,
    Waste,
    apply,
    replay,
)
from ketaclinic.clinical.controlled.split import Source, split_dose

__all__ = [
    "DEFAULT_WASTE_WITNESSES",
    "DESTRUCTION_WITNESSES",
    "FORM_106_DAYS",
    "UG_PER_MG",
    "Adjust",
    "Administer",
    "Container",
    "Destroy",
    "Draw",
    "DrawForSession",
    "Ledger",
    "LedgerError",
    "Loss",
    "LossDeadlines",
    "Operation",
    "Receive",
    "Return",
    "Reverse",
    "Source",
    "Transfer",
    "Waste",
    "add_business_days",
    "apply",
    "loss_deadlines",
    "replay",
    "split_dose",
    "to_mg",
    "to_ug",
]
