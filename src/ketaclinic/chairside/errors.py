"""The chairside session's refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, Forbidden, NotFound, ValidationFailed


class DisplayLabelRequired(FieldInvalid):
    code = "display_label_required"
    field = "label"


class DisplayLabelTooLong(FieldInvalid):
    code = "display_label_too_long"
    field = "label"


class DisplayNotFound(NotFound):
    code = "display_not_found"


class AldreteInvalid(FieldInvalid):
    code = "aldrete_invalid"
    field = "aldrete"


class VitalsOutsideChair(Conflict):
    code = "vitals_outside_chair"


class ReadingsInvalid(ValidationFailed):
    code = "readings_invalid"


class ReadingIdReused(FieldInvalid):
    code = "reading_id_reused"
    field = "readings"


class RepeatReadingUnconfirmed(FieldInvalid):
    code = "repeat_reading_unconfirmed"
    field = "readings"


class SessionAlertNotFound(NotFound):
    code = "session_alert_not_found"


class UnknownAlertAction(FieldInvalid):
    code = "unknown_alert_action"
    field = "action"


class AlertActionNoteRequired(FieldInvalid):
    code = "alert_action_note_required"
    field = "note"


class ChartedTimeInFuture(FieldInvalid):
    code = "charted_time_in_future"
    field = "at"


class ChartedTimeTooOld(FieldInvalid):
    code = "charted_time_too_old"
    field = "at"


class SideEffectsClosed(Conflict):
    code = "side_effects_closed"


class UnknownSideEffect(FieldInvalid):
    code = "unknown_side_effect"
    field = "effect"


class SeriousEventRequired(FieldInvalid):
    code = "serious_event_required"
    field = "serious"


class RescueMedicationClosed(Conflict):
    code = "rescue_medication_closed"


class UnknownRescueMedication(FieldInvalid):
    code = "unknown_rescue_medication"
    field = "drug"


class RescueDoseInvalid(FieldInvalid):
    code = "rescue_dose_invalid"
    field = "dose"


class ChecklistInvalid(ValidationFailed):
    code = "checklist_invalid"


class CheckerNotClinician(FieldInvalid):
    code = "checker_not_clinician"
    field = "checker_email"


class ContainerNotAvailable(FieldInvalid):
    code = "container_not_available"
    field = "container_id"


class ContainerTooLow(FieldInvalid):
    code = "container_too_low"
    field = "container_id"


class DrawnRequired(FieldInvalid):
    code = "drawn_required"
    field = "drawn_mg"
    default_message = "say how much was drawn up from the container"


class DrawnWithSecondContainer(FieldInvalid):
    code = "drawn_with_second_container"
    field = "drawn_mg"
    default_message = (
        "leave out with a second container: the two draws make the dose exactly "
        "(first_mg and second_mg)"
    )


class SplitAmountsWithoutSecond(FieldInvalid):
    code = "split_amounts_without_second"
    field = "second_container_id"
    default_message = "choose the second container the amounts come from"


class SplitAmountsIncomplete(FieldInvalid):
    code = "split_amounts_incomplete"
    field = "second_mg"
    default_message = "enter both amounts, or neither (the first container's balance first)"


class BlockingChecklistOpen(Conflict):
    code = "blocking_checklist_open"


class DrawBelowDose(FieldInvalid):
    code = "draw_below_dose"
    field = "drawn_mg"


class GivenDoseInvalid(FieldInvalid):
    code = "given_dose_invalid"
    field = "given_mg"


class GivenAboveDrawn(FieldInvalid):
    code = "given_above_drawn"
    field = "given_mg"


class WasteWitnessRequired(FieldInvalid):
    code = "waste_witness_required"
    field = "witness_email"


class RateRequired(FieldInvalid):
    code = "rate_required"
    field = "rate_ml_per_h"


class NoPumpProgramme(FieldInvalid):
    code = "no_pump_programme"
    field = "rate_ml_per_h"


class RateAboveReleased(FieldInvalid):
    code = "rate_above_released"
    field = "rate_ml_per_h"


class RateReasonRequired(FieldInvalid):
    code = "rate_reason_required"
    field = "reason"


class EarlyEndReasonRequired(ValidationFailed):
    code = "early_end_reason_required"


class StopReasonRequired(ValidationFailed):
    code = "stop_reason_required"


class StepNotAllowed(Conflict):
    code = "step_not_allowed"


class SessionChangedMeanwhile(Conflict):
    code = "session_changed_meanwhile"


class StepTimeInvalid(FieldInvalid):
    code = "step_time_invalid"
    field = "at"


class PlanNotCurrent(Conflict):
    code = "session_plan_not_current"


class VisitAlreadyCheckedIn(Conflict):
    code = "visit_already_checked_in"


class VisitNotBooked(Conflict):
    code = "visit_not_booked"


class CheckInNotToday(FieldInvalid):
    code = "check_in_not_today"
    field = "appointment_id"


class VisitCheckedInMeanwhile(Conflict):
    code = "visit_checked_in_meanwhile"


class SessionNotFound(NotFound):
    code = "session_not_found"


class NoteSignerRole(Forbidden):
    code = "note_signer_role"


class RemsIncompleteAtSigning(ValidationFailed):
    code = "rems_incomplete_at_signing"


class RoleAlreadySigned(Conflict):
    code = "role_already_signed"


class SignerAlreadySigned(Conflict):
    code = "signer_already_signed"


class NoSignedNote(Conflict):
    code = "no_signed_note"


class NotUnderRems(Conflict):
    code = "not_under_rems"


class UnknownRemsField(ValidationFailed):
    code = "unknown_rems_field"


class RemsFormSent(Conflict):
    code = "rems_form_sent"


class RemsFormInvalid(ValidationFailed):
    code = "rems_form_invalid"


class RemsAlreadySent(Conflict):
    code = "rems_already_sent"


class RemsIncomplete(ValidationFailed):
    code = "rems_incomplete"


class RemsSentInFuture(FieldInvalid):
    code = "rems_sent_in_future"
    field = "sent_on"


class RemsSentBeforeTreatment(FieldInvalid):
    code = "rems_sent_before_treatment"
    field = "sent_on"


class NoRemsForm(NotFound):
    code = "rems_form_not_found"


# Refusals of the session page's forms (chairside/step_views.py and views.py).


class ChecklistIncomplete(ValidationFailed):
    code = "checklist_incomplete"
    default_message = "Record every item."


class WitnessSignInRequired(FieldInvalid):
    code = "witness_sign_in_required"
    field = "witness_email"
    default_message = "the second clinician signs in here"


class CheckerWeightRequired(FieldInvalid):
    code = "checker_weight_required"
    field = "weight_kg"
    default_message = "the checker re-enters the weight"


class RateNotANumber(FieldInvalid):
    code = "rate_not_a_number"
    field = "rate_ml_per_h"
    default_message = "give the rate as a number of mL/h"


class AlertNotChosen(FieldInvalid):
    code = "alert_not_chosen"
    field = "alert_id"
    default_message = "choose the alert"


class AddendumRequired(FieldInvalid):
    code = "addendum_required"
    field = "text"
    default_message = "write the addendum"


class RemsSentOnRequired(FieldInvalid):
    code = "rems_sent_on_required"
    field = "sent_on"
    default_message = "enter the date it was sent"


class NotARemsSession(FieldInvalid):
    code = "not_a_rems_session"
    field = "session_id"
    default_message = "this session is not under the Spravato REMS"
