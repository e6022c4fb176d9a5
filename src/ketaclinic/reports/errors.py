"""The reports' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import FieldInvalid, ValidationFailed


class ReportRangeReversed(FieldInvalid):
    code = "outcomes_range_reversed"
    field = "to"
    default_message = "must be on or after the 'from' date"


class ReportRangeTooLong(FieldInvalid):
    code = "outcomes_range_too_long"
    field = "to"
    default_message = "a report covers at most ten years"


class ReportClinicUnknown(FieldInvalid):
    code = "outcomes_clinic_unknown"
    field = "clinic"
    default_message = "is not one of the clinics whose reports you may read"


class ReportFilterUnknown(FieldInvalid):
    code = "outcomes_filter_unknown"
    field = "diagnosis"
    default_message = "is not one of the choices"


class ReportFiltersInvalid(ValidationFailed):
    code = "outcomes_filters_invalid"
    default_message = "The report's filters are not valid."
