"""The portal's refusals, each with a stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import FieldInvalid, NotAuthenticated, NotFound, ValidationFailed


class PortalSignInRequired(NotAuthenticated):
    """Pages answer it with a redirect to the portal's sign-in page (app.py)."""

    code = "portal_sign_in_required"
    pages_only = True
    default_message = "Sign in to the patient portal."


class PortalLinkUnusable(NotFound):
    code = "portal_link_unusable"
    pages_only = True
    default_message = "This link has expired or was already used. Ask for a new sign-in link below."


class PortalRecordNotFound(NotFound):
    """Not the patient's, or not there: the same answer either way."""

    code = "portal_record_not_found"
    pages_only = True
    default_message = "We could not find that."


class PortalEmailInvalid(FieldInvalid):
    code = "portal_email_invalid"
    field = "email"
    default_message = "Enter your email address, like name@example.com."


class PortalNoEmail(FieldInvalid):
    code = "portal_no_email"
    field = "email"
    default_message = "The patient has no email address on the chart: add one first."


class PortalEmailTaken(FieldInvalid):
    code = "portal_email_taken"
    field = "email"
    default_message = "Another patient's portal account uses this email address."


class PortalAccountDisabled(FieldInvalid):
    code = "portal_account_disabled"
    field = "request"
    default_message = "The patient's portal account is switched off."


class PortalPasswordWeak(FieldInvalid):
    code = "portal_password_weak"
    field = "password"


class PortalCodeWrong(FieldInvalid):
    code = "portal_code_wrong"
    field = "code"
    default_message = "That code is not right. Enter the newest code from your app."


class PortalDetailsInvalid(ValidationFailed):
    code = "portal_details_invalid"


class PortalTooManyTries(ValidationFailed):
    code = "portal_too_many_tries"
