"""Billing's refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, NotFound, ValidationFailed


class VisitNotFound(NotFound):
    code = "billing_visit_not_found"
    default_message = "No such visit."


class ChargeLineNotFound(NotFound):
    code = "billing_charge_line_not_found"
    default_message = "No such charge line."


class BillingPatientNotFound(NotFound):
    code = "billing_patient_not_found"
    default_message = "No such patient."


class VisitNotCompleted(Conflict):
    code = "billing_visit_not_completed"
    default_message = "The visit is not completed: its charges come when it is."


class ChargeAlreadyFinal(Conflict):
    code = "billing_charge_final"
    default_message = "This line is final: add a correction instead."


class ChargeNotReady(Conflict):
    code = "billing_charge_not_ready"
    default_message = "This line cannot be finalised yet."


class CorrectionOfDraft(Conflict):
    code = "billing_correction_of_draft"
    default_message = "Only a final line is corrected; a draft is regenerated."


class UnknownCode(FieldInvalid):
    code = "billing_code_unknown"
    field = "code"
    default_message = "not a code the clinic bills"


class PriceInvalid(FieldInvalid):
    code = "billing_price_invalid"
    field = "price"
    default_message = "an amount in dollars and cents, such as 450.00"


class EvaluationCodeInvalid(FieldInvalid):
    code = "billing_evaluation_code_invalid"
    field = "code"
    default_message = "choose one of 99212, 99213, 99214, 99215"


class EvaluationNoteRequired(FieldInvalid):
    code = "billing_evaluation_note_required"
    field = "note"
    default_message = "say what the separately identifiable evaluation found"


class NpiInvalid(FieldInvalid):
    code = "billing_npi_invalid"
    field = "npi"
    default_message = "is not a valid NPI"


class TinInvalid(FieldInvalid):
    code = "billing_tin_invalid"
    field = "tin"
    default_message = "is not a valid TIN"


class CorrectionReasonRequired(FieldInvalid):
    code = "billing_correction_reason_required"
    field = "reason"
    default_message = "say why the line is corrected"


class UnitsInvalid(FieldInvalid):
    code = "billing_units_invalid"
    field = "units"
    default_message = "between 1 and 999"


class DateRangeInvalid(FieldInvalid):
    code = "billing_date_range_invalid"
    field = "date_to"
    default_message = "on or after the first date"


class NdcInvalid(FieldInvalid):
    code = "billing_ndc_invalid"
    field = "ndc"
    default_message = "an NDC of 10 or 11 digits in three parts, such as 12345-6789-01"


class ClaimIncomplete(Conflict):
    """The visit's claim lacks an item a payer cannot do without; ``fields`` names it
    (payer, member_id, diagnoses, billing_npi, rendering_npi, tin, lines, ...)."""

    code = "billing_claim_incomplete"
    default_message = "The claim cannot be made yet."


class CoverageInvalid(ValidationFailed):
    """The insured's plan has fields a claim cannot carry; ``fields`` names each."""

    code = "billing_coverage_invalid"
    default_message = "The insurance cannot be saved as entered."

    @classmethod
    def of(cls, problems: dict[str, str]) -> CoverageInvalid:
        named = "; ".join(f"{field}: {message}" for field, message in problems.items())
        return cls(f"The insurance cannot be saved as entered ({named}).", problems)
