"""Pre-visit questionnaires' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, NotFound


class PatientNotFound(NotFound):
    code = "previsit_patient_not_found"
    default_message = "No such patient."


class AssignmentNotFound(NotFound):
    code = "questionnaire_assignment_not_found"
    default_message = "This questionnaire is not asked of you for that visit."


class AssignmentNotOpen(Conflict):
    code = "questionnaire_assignment_not_open"
    default_message = "This questionnaire cannot be answered now."
