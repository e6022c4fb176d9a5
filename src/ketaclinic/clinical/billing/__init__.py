"""Billing rules: which codes a completed visit earns, from the chart. Pure.

``codes.yaml`` is the code book with dates and sources
(docs/clinical-references.md#billing-codes); ``time_rules`` turns the charted infusion
time into administration codes; ``charges.charges_for`` builds a visit's lines;
``identifiers`` checks NPIs and TINs; ``money`` keeps amounts in integer cents.
"""

from ketaclinic.clinical.billing.charges import (
    EVALUATION_CODES,
    Charges,
    Line,
    Visit,
    charges_for,
    is_icd10cm,
)
from ketaclinic.clinical.billing.codes import CodeBook, CodeNotInEffect, code_book
from ketaclinic.clinical.billing.identifiers import normalise_tin, npi_problem, tin_problem
from ketaclinic.clinical.billing.money import cents_of, dollars, parse_cents
from ketaclinic.clinical.billing.time_rules import additional_hours, charted_minutes, iv_codes

__all__ = [
    "EVALUATION_CODES",
    "Charges",
    "CodeBook",
    "CodeNotInEffect",
    "Line",
    "Visit",
    "additional_hours",
    "cents_of",
    "charges_for",
    "charted_minutes",
    "code_book",
    "dollars",
    "is_icd10cm",
    "iv_codes",
    "normalise_tin",
    "npi_problem",
    "parse_cents",
    "tin_problem",
]
