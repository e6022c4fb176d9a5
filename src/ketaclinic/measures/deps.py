"""Request helpers for measurement-based care, shared by its pages and its API."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from ketaclinic.measures import service


def rules_of(request: Request) -> service.OutcomeRules:
    """The fixed outcome rules; the clinic's own are read by the service."""
    return service.OutcomeRules()


def instrument_out(inst: Any) -> dict[str, Any]:
    """A questionnaire as the entry page's script and the API describe it."""
    return {
        "id": inst.id,
        "name": inst.name,
        "version": inst.version,
        "completed_by": inst.completed_by,
        "recall_period": inst.recall_period,
        "max_total": inst.max_total,
        "items": [
            {
                "id": item.id,
                "text": item.text,
                "answer_type": inst.answer_type,
                "required": item.required,
                "scored": item.scored,
                "options": [{"value": v, "label": label} for v, label in inst.choices(item)],
            }
            for item in inst.items
        ],
    }
