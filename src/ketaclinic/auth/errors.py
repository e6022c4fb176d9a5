"""Sign-in, staff and access refusals, one class per error with its stable code."""

from __future__ import annotations

from collections.abc import Sequence

from ketaclinic.kit.errors import Conflict, FieldInvalid, Forbidden, NotFound, ValidationFailed


class FormOriginRefused(Forbidden):
    code = "form_origin_refused"


class NoAccessRule(Forbidden):
    code = "no_access_rule"


class OtherClinicsAdministrator(Forbidden):
    code = "other_clinics_administrator"


class ClinicNotYours(NotFound):
    code = "your_clinic_not_found"


class EmailInvalid(FieldInvalid):
    code = "email_invalid"
    field = "email"


class UnknownRole(FieldInvalid):
    code = "unknown_role"
    field = "role"


class UserDetailsInvalid(ValidationFailed):
    code = "user_details_invalid"


class EmailTaken(Conflict):
    code = "email_taken"


class UserEmailNotFound(NotFound):
    code = "user_email_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class PasswordTooWeak(FieldInvalid):
    code = "password_too_weak"
    field = "password"


class MfaAlreadyOn(Conflict):
    code = "mfa_already_on"


class MfaNotEnrolling(Conflict):
    code = "mfa_not_enrolling"


class MfaCodeWrong(FieldInvalid):
    code = "mfa_code_wrong"
    field = "code"


class MfaAlreadyOff(Conflict):
    code = "mfa_already_off"


class StaffNotFound(NotFound):
    code = "staff_not_found"


class StaffDetailsInvalid(ValidationFailed):
    code = "staff_details_invalid"


class StaffEmailTaken(Conflict):
    code = "staff_email_taken"


class LinkUnusable(NotFound):
    code = "link_not_found"


class PasswordConfirmMismatch(FieldInvalid):
    code = "password_confirm_mismatch"
    field = "confirm"


class LastAdministrator(Conflict):
    code = "last_administrator"


class CannotDeactivateSelf(Conflict):
    code = "cannot_deactivate_self"


class OnlyClinic(Conflict):
    code = "only_clinic"


class ApiTokenNotFound(NotFound):
    code = "api_token_not_found"


class ApiTokenDetailsInvalid(ValidationFailed):
    """A new API token's label or SMART scopes to correct."""

    code = "api_token_details_invalid"


class ReaderNotAllowed(FieldInvalid):
    """The command line's reader may not read this clinic's charts."""

    code = "reader_not_allowed"
    field = "by"


# For the one clinic resolver (auth/clinic.py, being reworked elsewhere): its refusals.
class ClinicRequired(FieldInvalid):
    """A caller who works in several clinics names none: the API answers 422 naming
    ``clinic_id``; a page answers with a "Which clinic?" page listing ``choices``
    (clinic id, name) as links to the same address with ``clinic_id`` added."""

    code = "clinic_required"
    field = "clinic_id"
    default_message = "is required: you work in more than one clinic"

    def __init__(self, choices: Sequence[tuple[int, str]] = ()) -> None:
        super().__init__()
        self.choices = list(choices)


class ClinicIdNotANumber(FieldInvalid):
    code = "clinic_id_not_a_number"
    field = "clinic_id"
    default_message = "must be a whole number"


class ClinicNotAllowed(FieldInvalid):
    """The clinic named is not one where the caller may do this."""

    code = "clinic_not_allowed"
    field = "clinic_id"
    default_message = "not one of your clinics"
