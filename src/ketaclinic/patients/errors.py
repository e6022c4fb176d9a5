"""Patient records' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import FieldInvalid, NotFound


class PatientNotFound(NotFound):
    code = "patient_not_found"


class BirthDateInFuture(FieldInvalid):
    code = "birth_date_in_future"
    field = "birth_date"


class MeasuredAtWithoutOffset(FieldInvalid):
    code = "measured_at_without_offset"
    field = "measured_at"


class MeasuredAtInFuture(FieldInvalid):
    code = "measured_at_in_future"
    field = "measured_at"


class PatientEntryNotFound(NotFound):
    code = "patient_entry_not_found"
