"""Clinics' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, NotFound, ValidationFailed


class ClinicDetailsInvalid(ValidationFailed):
    code = "clinic_details_invalid"
    default_message = "Please correct the clinic details."


class ClinicSlugTaken(Conflict):
    code = "clinic_slug_taken"


class ClinicNotFound(NotFound):
    code = "clinic_not_found"
