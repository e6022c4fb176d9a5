"""Self-pay accounts' refusals, one class per error with its stable code."""

from __future__ import annotations

from ketaclinic.kit.errors import Conflict, FieldInvalid, NotFound


class AccountPatientNotFound(NotFound):
    code = "billing_account_patient_not_found"
    default_message = "No such patient."


class PackageNotFound(NotFound):
    code = "billing_package_not_found"
    default_message = "No such package in the clinic's catalogue."


class PaymentNotFound(NotFound):
    code = "billing_payment_not_found"
    default_message = "No such payment on this patient's account."


class PackageRetired(Conflict):
    code = "billing_package_retired"
    default_message = "This package is no longer sold."


class AmountInvalid(FieldInvalid):
    code = "billing_amount_invalid"
    field = "amount_cents"
    default_message = "an amount above zero in dollars and cents, such as 150.00"


class MethodInvalid(FieldInvalid):
    code = "billing_method_invalid"
    field = "method"
    default_message = "choose card, cash, check, HSA/FSA card, bank transfer or other"


class PurposeInvalid(FieldInvalid):
    code = "billing_purpose_invalid"
    field = "purpose"
    default_message = "choose a payment or a deposit"


class RefundTooLarge(FieldInvalid):
    code = "billing_refund_too_large"
    field = "amount_cents"
    default_message = "more than is left to refund of this payment"


class RefundReasonRequired(FieldInvalid):
    code = "billing_refund_reason_required"
    field = "reason"
    default_message = "say why the money is given back"


class AdjustmentNoteRequired(FieldInvalid):
    code = "billing_adjustment_note_required"
    field = "note"
    default_message = "say what the adjustment is for"


class AdjustmentInvalid(FieldInvalid):
    code = "billing_adjustment_invalid"
    field = "amount_cents"
    default_message = "an amount other than zero, negative to lower the balance"


class PackageNameRequired(FieldInvalid):
    code = "billing_package_name_required"
    field = "name"
    default_message = "name the package as patients will read it"


class PackageKindInvalid(FieldInvalid):
    code = "billing_package_kind_invalid"
    field = "kind"
    default_message = "choose induction, booster or other"


class PackageVisitsInvalid(FieldInvalid):
    code = "billing_package_visits_invalid"
    field = "visits"
    default_message = "between 1 and 52 visits"


class PackagePriceInvalid(FieldInvalid):
    code = "billing_package_price_invalid"
    field = "price_cents"
    default_message = "an amount in dollars and cents, such as 2400.00"
