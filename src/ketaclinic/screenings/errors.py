"""Screenings' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, NotFound, ValidationFailed


class UnknownRuleSet(FieldInvalid):
    code = "unknown_rule_set"
    field = "rule_set_id"


class IntakeAnswersInvalid(ValidationFailed):
    code = "intake_answers_invalid"
    default_message = "Some intake answers are invalid."


class ScreeningNotFound(NotFound):
    code = "screening_not_found"
    default_message = "No such screening for this patient."


class DecisionInvalid(FieldInvalid):
    code = "screening_decision_invalid"
    field = "decision"
    default_message = "choose eligible or not_eligible"


class ScreeningAlreadySigned(Conflict):
    code = "screening_already_signed"
    default_message = "This screening is already signed; a new decision needs a new screening."


class ScreeningSuperseded(Conflict):
    code = "screening_superseded"


class IntakeChanged(Conflict):
    """The intake's facts changed since the screening ran: re-screen first."""

    code = "screening_intake_changed"


class OverrideReasonRequired(FieldInvalid):
    code = "screening_override_reason_required"
    field = "reason"


class SignedMeanwhile(Conflict):
    code = "screening_signed_meanwhile"
    default_message = "This screening was signed by someone else a moment ago."


class NotCleared(Conflict):
    """No signed, current, eligible screening clears treatment."""

    code = "screening_not_cleared"
