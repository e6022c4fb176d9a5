"""Treatment plans' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, Forbidden, NotFound, ValidationFailed


class UnknownProtocol(FieldInvalid):
    code = "unknown_protocol"
    field = "protocol_id"
    default_message = "unknown protocol"


class ProtocolRequired(FieldInvalid):
    code = "protocol_required"
    field = "protocol_id"
    default_message = "choose a protocol"


class ProtocolNotFound(NotFound):
    code = "protocol_not_found"
    default_message = "No such protocol."


class DoseNotOffered(FieldInvalid):
    """A fixed-dose protocol offers a few amounts; this is not one of them."""

    code = "dose_not_offered"
    field = "dose_amount"


class DoseAboveHardLimit(FieldInvalid):
    code = "dose_above_hard_limit"
    field = "dose_amount"


class SoftLimitReasonRequired(FieldInvalid):
    code = "soft_limit_reason_required"
    field = "over_soft_limit_reason"


class UnknownPreparation(FieldInvalid):
    code = "unknown_preparation"
    field = "preparation"


class PlanStartInPast(FieldInvalid):
    code = "plan_start_in_past"
    field = "start_date"
    default_message = "must not be in the past"


class PlanStartTooFar(FieldInvalid):
    code = "plan_start_too_far"
    field = "start_date"
    default_message = "must be within a year"


class ScreeningNotCleared(Conflict):
    """Signing a plan needs a signed, current screening for its rule set."""

    code = "plan_screening_not_cleared"


class PlanNotRevisable(Conflict):
    code = "plan_not_revisable"


class NewerPlanVersion(Conflict):
    code = "plan_newer_version"


class PlanNotFound(NotFound):
    code = "plan_not_found"
    default_message = "No such treatment plan for this patient."


class PlanActionForbidden(Forbidden):
    code = "plan_action_forbidden"


class SupersedeBySigning(FieldInvalid):
    code = "plan_supersede_by_signing"
    field = "action"
    default_message = "a plan is superseded by signing a newer version"


class PlanTransitionRefused(Conflict):
    code = "plan_transition_refused"


class PlanChangedMeanwhile(Conflict):
    code = "plan_changed_meanwhile"
    default_message = "This plan changed a moment ago; reload it and try again."


class DosePlanNotActive(Conflict):
    code = "dose_plan_not_active"


class SessionBeyondPlan(FieldInvalid):
    code = "session_beyond_plan"
    field = "session_number"
    default_message = "beyond the plan's sessions"


class DoseCheckNotFound(NotFound):
    code = "dose_check_not_found"
    default_message = "No such dose check on this plan."


class SecondCheckSameClinician(Forbidden):
    code = "dose_second_check_same_clinician"
    default_message = "The second check must be done by a different clinician."


class DoseAlreadyReleased(Conflict):
    code = "dose_already_released"
    default_message = "This dose is already released."


class UnknownPkModel(FieldInvalid):
    code = "unknown_pk_model"
    field = "model"


class NoPkPreview(ValidationFailed):
    code = "no_pk_preview"


class DoseRefused(ValidationFailed):
    """The dose calculator's refusal (weight, rounding, limits), its fields named."""

    code = "dose_refused"
    default_message = "The dose cannot be given as asked."


class NoBoosterRule(Conflict):
    """Booster sessions are added per the plan's protocol's booster rule; it has none."""

    code = "plan_no_booster_rule"
    default_message = "This plan's protocol has no booster rule: start a new plan."
