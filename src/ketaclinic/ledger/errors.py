"""The controlled-substance ledger's refusals, one class per error with its stable code.

A 422 that names a record (``location_unknown``…) is about a field of the request; a
404 (``draw_not_found``…) is about the page's own address.
"""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, NotFound, ValidationFailed


class LedgerRuleRefused(ValidationFailed):
    """The pure ledger core refused the movement (negative stock, expired lot…)."""

    code = "ledger_rule_refused"


class LocationUnknown(FieldInvalid):
    code = "location_unknown"
    field = "location_id"
    default_message = "no such storage location in your clinic"


class ContainerUnknown(FieldInvalid):
    code = "container_unknown"
    field = "container_id"
    default_message = "no such container in your clinic"


class ContainerMoved(Conflict):
    code = "container_moved"
    default_message = "The container was moved while you were recording; open it again."


class ProductNdcOnFile(FieldInvalid):
    code = "product_ndc_on_file"
    field = "ndc"
    default_message = "a product with this NDC is already on file"


class LocationNameTaken(FieldInvalid):
    code = "location_name_taken"
    field = "name"
    default_message = "a location with this name already exists"


class ProductUnknown(FieldInvalid):
    code = "product_unknown"
    field = "product_id"
    default_message = "no such product on file"


class LotExpired(FieldInvalid):
    code = "lot_expired"
    field = "expires"
    default_message = "this lot has already expired: do not receive it"


class LotExpiryMismatch(FieldInvalid):
    code = "lot_expiry_mismatch"
    field = "expires"


class ContainerAlreadyThere(FieldInvalid):
    code = "container_already_there"
    field = "to_location_id"
    default_message = "the container is already there"


class LedgerPatientUnknown(FieldInvalid):
    code = "ledger_patient_unknown"
    field = "patient_id"
    default_message = "no such patient in your clinic"


class PatientOfOtherClinic(FieldInvalid):
    code = "patient_of_other_clinic"
    field = "patient_id"
    default_message = "the patient belongs to another clinic"


class SessionNotOfPatient(FieldInvalid):
    code = "session_not_of_patient"
    field = "session_id"
    default_message = "no such session for this patient"


class DrawUnknown(FieldInvalid):
    code = "draw_unknown"
    field = "draw_id"
    default_message = "no such draw in your clinic"


class CorrectionEntryInvalid(FieldInvalid):
    code = "correction_entry_invalid"
    field = "entry_id"
    default_message = "choose an administer, waste or return entry of this draw"


class CorrectionTooLarge(FieldInvalid):
    code = "correction_too_large"
    field = "amount_mg"
    default_message = "more than the entry being corrected recorded"


class LossDiscoveredInFuture(FieldInvalid):
    code = "loss_discovered_in_future"
    field = "discovered"
    default_message = "cannot be in the future"


class LossUnknown(FieldInvalid):
    code = "loss_unknown"
    field = "loss_id"
    default_message = "no such loss in your clinic"


class FilingAlreadyRecorded(FieldInvalid):
    code = "filing_already_recorded"
    field = "kind"
    default_message = "already recorded as filed"


class FilingInFuture(FieldInvalid):
    code = "filing_in_future"
    field = "filed_on"
    default_message = "cannot be in the future"


class WitnessIsActor(FieldInvalid):
    code = "witness_is_actor"
    default_message = "a witness must be someone other than who acts"


class WitnessRepeated(FieldInvalid):
    code = "witness_repeated"
    default_message = "each witness must be someone else"


class WitnessNotAuthorised(FieldInvalid):
    code = "witness_not_authorised"
    default_message = "this person may not witness controlled substances here"


class CountIncomplete(ValidationFailed):
    code = "count_incomplete"
    default_message = "Count every container in the location, and only those."


class DiscrepancyUnknown(FieldInvalid):
    code = "discrepancy_unknown"
    field = "discrepancy_id"
    default_message = "no such discrepancy in your clinic"


class DiscrepancyResolved(Conflict):
    code = "discrepancy_resolved"
    default_message = "This discrepancy is already resolved."


class CountCannotBeFollowed(FieldInvalid):
    code = "count_cannot_be_followed"
    field = "outcome"
    default_message = "the container no longer holds enough to follow this count"


class ReportKindUnknown(FieldInvalid):
    code = "report_kind_unknown"
    field = "kind"


class ReportRangeReversed(FieldInvalid):
    code = "report_range_reversed"
    field = "until"
    default_message = "must not be before the start date"


class ReportRangeTooLong(FieldInvalid):
    code = "report_range_too_long"
    field = "until"
    default_message = "choose at most three years at a time"


class ReportPatientRequired(FieldInvalid):
    code = "report_patient_required"
    field = "patient_id"
    default_message = "choose the patient"


class ReportPatientUnknown(FieldInvalid):
    code = "report_patient_unknown"
    field = "patient_id"
    default_message = "no such patient in this clinic"


class DrawNotFound(NotFound):
    code = "draw_not_found"


class ContainerNotFound(NotFound):
    code = "container_not_found"


class LocationNotFound(NotFound):
    code = "location_not_found"


class DiscrepancyNotFound(NotFound):
    code = "discrepancy_not_found"


class LedgerActionNotFound(NotFound):
    code = "ledger_action_not_found"


class LossNotFound(NotFound):
    code = "loss_not_found"
