"""The notifications' refusals, each with a stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import FieldInvalid, Forbidden


class SmsConsentMissing(FieldInvalid):
    code = "sms_consent_missing"
    field = "sms_consent"
    default_message = "SMS needs the patient's consent: tick the box once they have agreed"


class SmsNeedsPhone(FieldInvalid):
    code = "sms_needs_phone"
    field = "channel"
    default_message = "SMS needs a phone number on the chart; add one first, or choose email"


class ChannelInvalid(FieldInvalid):
    code = "contact_channel_invalid"
    field = "channel"
    default_message = "choose email or SMS"


class TwilioSignatureInvalid(Forbidden):
    code = "twilio_signature_invalid"
    default_message = "The request is not signed by the SMS provider."


class MessageNameInvalid(FieldInvalid):
    code = "message_name_invalid"
    field = "message_name"
    default_message = "is not a name messages can use"
