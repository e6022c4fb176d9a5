"""The course's and booster suggestions' refusals, one class per error with its code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, Forbidden, NotFound


class SuggestionNotFound(NotFound):
    code = "booster_suggestion_not_found"
    default_message = "No such booster suggestion."


class SuggestionDecided(Conflict):
    code = "booster_suggestion_decided"
    default_message = "This booster suggestion was already accepted or dismissed."


class DismissReasonRequired(FieldInvalid):
    code = "booster_dismiss_reason_required"
    field = "reason"
    default_message = "say why the booster is not needed (at least 3 characters)"


class DecisionForbidden(Forbidden):
    code = "booster_decision_forbidden"
    default_message = "Only a prescriber decides on a booster."
