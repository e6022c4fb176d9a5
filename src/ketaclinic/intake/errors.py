"""Intake's refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, NotFound, ValidationFailed


class InquiryAnswersInvalid(ValidationFailed):
    code = "inquiry_answers_invalid"
    default_message = "Please check the highlighted answers."


class InquiryNotFound(NotFound):
    code = "inquiry_not_found"
    default_message = "No such inquiry."


class InquiryAlreadyConverted(Conflict):
    code = "inquiry_already_converted"
    default_message = "This inquiry is already a patient."
