"""Measurement-based care's refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, Forbidden, NotFound, ValidationFailed


class UnknownQuestionnaire(FieldInvalid):
    code = "unknown_questionnaire"
    field = "instrument_id"


class QuestionnaireNotFound(NotFound):
    code = "questionnaire_not_found"
    default_message = "No such questionnaire."


class AnswersInvalid(ValidationFailed):
    code = "answers_invalid"
    default_message = "Some answers are missing or out of range."


class CompletedInFuture(FieldInvalid):
    code = "completed_in_future"
    field = "completed_at"
    default_message = "must not be in the future"


class TreatmentNotOfPatient(FieldInvalid):
    code = "treatment_not_of_patient"
    field = "session_id"
    default_message = "is not a treatment of this patient"


class AlertNotFound(NotFound):
    code = "alert_not_found"
    default_message = "No such alert on this patient."


class AcknowledgeForbidden(Forbidden):
    code = "alert_acknowledge_forbidden"
    default_message = "Only a prescriber or nurse can acknowledge a safety alert."


class AlertAlreadyAcknowledged(Conflict):
    code = "alert_already_acknowledged"
    default_message = "This alert was already acknowledged."


class AcknowledgeNoteTooShort(FieldInvalid):
    code = "alert_note_too_short"
    field = "note"
    default_message = "say what was done (at least 3 characters)"


class TreatmentInFuture(FieldInvalid):
    code = "treatment_in_future"
    field = "given_at"
    default_message = "must not be in the future"


class ClinicianRated(FieldInvalid):
    """A clinician-rated scale is entered by staff, never sent to the patient."""

    code = "questionnaire_clinician_rated"
    field = "instrument_id"
    default_message = "is clinician-rated: enter it yourself"
