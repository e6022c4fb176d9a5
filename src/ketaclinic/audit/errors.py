"""The audit trail's refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import FieldInvalid


class AuditPatientUnknown(FieldInvalid):
    code = "audit_patient_unknown"
    field = "patient"


class AuditStaffUnknown(FieldInvalid):
    code = "audit_staff_unknown"
    field = "user"


class AuditRangeReversed(FieldInvalid):
    code = "audit_range_reversed"
    field = "until"
    default_message = "must be on or after the 'from' date"


class TimeWithoutOffset(FieldInvalid):
    code = "audit_time_without_offset"
    field = "from"
