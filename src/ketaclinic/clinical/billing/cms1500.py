"""A visit's claim as the CMS-1500 (02/12) fields a clearinghouse takes. Pure.

``forms_of(claim)`` answers one form per six service lines (the 1500 has six lines
in item 24; the shaded half of a line carries supplemental information, not a
seventh line), each a dict keyed by the NUCC item number ("1a", "24", "33a").
Every form repeats the claim-level items and points its lines into the same
diagnosis list (item 21, A-L); each totals its own lines (items 28 and 29), as a
separate claim. Formats follow the NUCC 1500 Claim Form Reference Instruction
Manual (docs/clinical-references.md#cms-1500): dates MM/DD/YY on the lines and
MM/DD/YYYY for a birth date, ICD-10-CM without the implied decimal point, the NDC as
N4 + 11 digits + unit qualifier + quantity. A claim missing what a payer cannot do
without (payer, member id, NPIs, EIN, a diagnosis, a final line) is refused with
``ClaimIncomplete`` naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from ketaclinic.clinical.billing.charges import POINTER_LETTERS, is_icd10cm
from ketaclinic.clinical.billing.identifiers import normalise_tin, npi_problem, tin_problem

LINES_PER_FORM = 6
NDC_UNITS = frozenset({"F2", "GR", "ME", "ML", "UN"})
ICD10_INDICATOR = "0"
SIGNATURE_ON_FILE = "SIGNATURE ON FILE"
# Item 1: the box the payer's name suggests; a commercial plan is a group health plan.
InsuranceType = Literal["medicare", "medicaid", "tricare", "champva", "group", "feca", "other"]
_PROGRAMMES: tuple[InsuranceType, ...] = ("medicare", "medicaid", "tricare", "champva", "feca")
# Item 6: the patient's relationship to the insured.
Relationship = Literal["self", "spouse", "child", "other"]


class ClaimIncomplete(ValueError):
    """The claim lacks ``field`` (a CMS-1500 item a payer cannot do without)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Person:
    family_name: str
    given_name: str
    birth_date: date | None = None
    sex: str = ""  # "M", "F" or "" (item 3 leaves the box empty)
    street: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Provider:
    name: str
    npi: str
    address: str = ""  # one line per comma, as the clinic wrote it
    phone: str = ""


@dataclass(frozen=True)
class ServiceLine:
    date_of_service: date
    place_of_service: str
    code: str
    units: int
    charge_cents: int  # the line's amount (units x price)
    pointers: str  # letters into the claim's diagnoses, e.g. "AB"
    modifiers: tuple[str, ...] = ()
    rendering_npi: str = ""  # empty: the billing provider (33a) rendered it
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None


@dataclass(frozen=True)
class Claim:
    patient: Person
    account_number: str  # item 26: the patient's MRN
    payer: str
    member_id: str
    diagnoses: tuple[str, ...]  # ICD-10-CM, primary first (item 21 A-L)
    lines: tuple[ServiceLine, ...]
    billing: Provider  # item 33
    facility: Provider  # item 32
    tin: str  # item 25, the clinic's EIN
    physician_signature: str  # item 31: the rendering provider's name
    signed_on: date
    insurance_type: InsuranceType = "group"
    relationship: Relationship = "self"
    insured: Person | None = None  # None: the patient is the insured (item 4 = item 2)
    group_number: str = ""  # item 11
    plan_name: str = ""  # item 11c; the payer's name when empty
    paid_cents: int = 0
    accept_assignment: bool = True
    problems: dict[str, str] = field(default_factory=dict)


def insurance_type_of(payer: str) -> InsuranceType:
    """Item 1's box from the payer's name: a government programme by its name, a
    commercial plan as a group health plan."""
    name = payer.lower()
    for kind in _PROGRAMMES:
        if kind in name:
            return kind
    return "group"


def ndc11(ndc: str) -> str:
    """A labeled NDC (4-4-2, 5-3-2, 5-4-1 or 5-4-2 digits) as the 11 digits a claim
    carries, a zero padding the short segment (NUCC item 24 shaded area)."""
    parts = ndc.strip().split("-")
    if len(parts) == 1 and re.fullmatch(r"[0-9]{11}", parts[0]):
        return parts[0]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ClaimIncomplete("ndc", f"{ndc} is not an NDC in three parts")
    labeler, product, package = parts
    if len(labeler) > 5 or len(product) > 4 or len(package) > 2:
        raise ClaimIncomplete("ndc", f"{ndc} is not an NDC in three parts")
    if len(labeler + product + package) not in (10, 11):
        raise ClaimIncomplete("ndc", f"{ndc} has neither 10 nor 11 digits")
    return labeler.zfill(5) + product.zfill(4) + package.zfill(2)


def _quantity(q: Decimal) -> str:
    """At most three decimal places, no trailing zeros: 34.200 -> 34.2."""
    text = f"{q.quantize(Decimal('0.001')):f}".rstrip("0").rstrip(".")
    return text or "0"


def supplemental(line: ServiceLine) -> str:
    """The shaded part of item 24: N4, the 11-digit NDC, a space, the unit
    qualifier and the quantity (``N400409205105 ME34.2``); empty without an NDC."""
    if not line.ndc:
        return ""
    if line.ndc_unit not in NDC_UNITS:
        raise ClaimIncomplete("ndc_unit", f"the NDC unit is one of {', '.join(sorted(NDC_UNITS))}")
    if line.ndc_quantity is None or line.ndc_quantity <= 0:
        raise ClaimIncomplete("ndc_quantity", f"{line.code}: the quantity given is missing")
    return f"N4{ndc11(line.ndc)} {line.ndc_unit}{_quantity(line.ndc_quantity)}"


def check(claim: Claim) -> None:
    """``ClaimIncomplete`` naming the first item a payer cannot do without."""
    if not claim.payer.strip():
        raise ClaimIncomplete("payer", "the patient has no insurer on file")
    if not claim.member_id.strip():
        raise ClaimIncomplete("member_id", "the insured's member id is missing (item 1a)")
    if not claim.lines:
        raise ClaimIncomplete("lines", "no final charge line: finalise the visit's lines first")
    if not claim.diagnoses:
        raise ClaimIncomplete("diagnoses", "no ICD-10-CM diagnosis (item 21)")
    for code in claim.diagnoses:
        if not is_icd10cm(code):
            raise ClaimIncomplete("diagnoses", f"{code} is not an ICD-10-CM code")
    if len(claim.diagnoses) > len(POINTER_LETTERS):
        raise ClaimIncomplete("diagnoses", "at most 12 diagnoses on a claim (item 21)")
    if why := npi_problem(claim.billing.npi):
        raise ClaimIncomplete("billing_npi", f"the billing provider's NPI: {why} (item 33a)")
    if why := tin_problem(claim.tin):
        raise ClaimIncomplete("tin", f"the clinic's EIN: {why} (item 25)")
    for line in claim.lines:
        # 24J is left empty when the billing provider rendered the service (33a).
        if line.rendering_npi and (why := npi_problem(line.rendering_npi)):
            raise ClaimIncomplete("rendering_npi", f"{line.code}: rendering NPI: {why} (24J)")
        if not line.pointers or any(
            p not in POINTER_LETTERS[: len(claim.diagnoses)] for p in line.pointers
        ):
            raise ClaimIncomplete("pointers", f"{line.code}: no diagnosis pointer (24E)")
        supplemental(line)  # refuses a malformed NDC


def _mmddyy(day: date) -> str:
    return day.strftime("%m/%d/%y")


def _mmddyyyy(day: date | None) -> str:
    return day.strftime("%m/%d/%Y") if day else ""


def _name(p: Person) -> dict[str, str]:
    return {"last": p.family_name, "first": p.given_name, "middle_initial": ""}


def _address(p: Person) -> dict[str, str]:
    return {
        "street": p.street,
        "city": p.city,
        "state": p.state,
        "zip": p.zip_code,
        "phone": p.phone,
    }


def _provider(p: Provider) -> dict[str, Any]:
    lines = [part.strip() for part in re.split(r"[,\n]", p.address) if part.strip()]
    return {"name": p.name, "address": lines, "phone": p.phone}


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def _service(line: ServiceLine) -> dict[str, Any]:
    return {
        "24A": {"from": _mmddyy(line.date_of_service), "to": _mmddyy(line.date_of_service)},
        "24B": line.place_of_service,
        "24C": "",  # EMG: not an emergency
        "24D": {"code": line.code, "modifiers": list(line.modifiers[:4])},
        "24E": line.pointers[:4],
        "24F": _money(line.charge_cents),
        "24G": line.units,
        "24H": "",  # EPSDT / family plan
        "24I": "NPI" if line.rendering_npi else "",
        "24J": line.rendering_npi,
        "shaded": supplemental(line),
    }


def _claim_items(claim: Claim) -> dict[str, Any]:
    insured = claim.insured or claim.patient
    p = claim.patient
    return {
        "1": claim.insurance_type,
        "1a": claim.member_id.strip(),
        "2": _name(p),
        "3": {"birth_date": _mmddyyyy(p.birth_date), "sex": p.sex},
        "4": _name(insured),
        "5": _address(p),
        "6": claim.relationship,
        "7": _address(insured),
        # NONE tells Medicare it is primary; other plans leave an unknown group empty.
        "11": claim.group_number.strip() or ("NONE" if claim.insurance_type == "medicare" else ""),
        "11a": {"birth_date": _mmddyyyy(insured.birth_date), "sex": insured.sex},
        "11c": claim.plan_name.strip() or claim.payer.strip(),
        "12": {"signature": SIGNATURE_ON_FILE, "date": _mmddyy(claim.signed_on)},
        "13": SIGNATURE_ON_FILE,
        "21": {
            "icd_indicator": ICD10_INDICATOR,
            **{POINTER_LETTERS[i]: code.replace(".", "") for i, code in enumerate(claim.diagnoses)},
        },
        "25": {"id": normalise_tin(claim.tin).replace("-", ""), "type": "EIN"},
        "26": claim.account_number,
        "27": "YES" if claim.accept_assignment else "NO",
        "31": {"signature": claim.physician_signature, "date": _mmddyy(claim.signed_on)},
        "32": _provider(claim.facility),
        "32a": claim.facility.npi,
        "33": _provider(claim.billing),
        "33a": claim.billing.npi,
    }


def pages(lines: tuple[ServiceLine, ...]) -> list[tuple[ServiceLine, ...]]:
    """The lines six to a form, in their order."""
    return [lines[i : i + LINES_PER_FORM] for i in range(0, len(lines), LINES_PER_FORM)]


def forms_of(claim: Claim) -> list[dict[str, Any]]:
    """The claim's CMS-1500 forms (one per six lines), each keyed by item number,
    with ``form`` (1-based) and ``forms`` (how many)."""
    check(claim)
    items = _claim_items(claim)
    chunks = pages(claim.lines)
    unpaid = claim.paid_cents  # a payment is shown once, on the first forms it covers
    out: list[dict[str, Any]] = []
    for index, chunk in enumerate(chunks, start=1):
        total = sum(line.charge_cents for line in chunk)
        paid = min(unpaid, max(total, 0))
        unpaid -= paid
        out.append(
            {
                "form": index,
                "forms": len(chunks),
                "payer": claim.payer.strip(),
                **items,
                "24": [_service(line) for line in chunk],
                "28": _money(total),
                "29": _money(paid),
            }
        )
    return out
