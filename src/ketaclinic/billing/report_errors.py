"""The account reports' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import FieldInvalid, NotFound


class ReportDateInvalid(FieldInvalid):
    code = "billing_report_date_invalid"
    field = "date"
    default_message = "a date like 2026-11-23"


class ReportPeriodInvalid(FieldInvalid):
    code = "billing_report_period_invalid"
    field = "to"
    default_message = "on or after the first date, at most 366 days after it"


class ReceiptNotFound(NotFound):
    code = "billing_receipt_not_found"
    default_message = "No such payment on this patient's account."
