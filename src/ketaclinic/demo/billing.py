"""The demo's billing (issue 23): each clinic's fee schedule (with one price raised
this month, so the history shows), its billing NPI and TIN and the prescriber's NPI,
and the charges of the last month's completed visits: older visits finalised, the
last week's still to review, one final line corrected by new lines; esketamine
patients have an insurer on file for their CMS-1500. Prices are the
demo's own *(practice)*; the esketamine visits near the 2026 Medicare rates
(docs/clinical-references.md#billing-codes)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ketaclinic.billing.models import ChargeLine
from ketaclinic.billing.service import charges, fees
from ketaclinic.clinical.billing.identifiers import NPI_PREFIX
from ketaclinic.clinical.checkdigits import luhn_digit
from ketaclinic.clinics.service import today_at
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Role

FEES_CENTS = {
    "96365": 42500,
    "96366": 12500,
    "96374": 18000,
    "96372": 9000,
    "99212": 9000,
    "99213": 13500,
    "99214": 19500,
    "99215": 26000,
    "G2082": 90600,
    "G2083": 129000,
    "S0013": 1200,
    "J0013": 1250,
    "J3490": 3500,
}
KETAMINE_NDC = "99999-0500-10"  # the demo ledger's ketamine vial (demo/ledger.py)
TINS = {"lakeside": "74-3081562", "mesa": "85-2217409"}


def npi(first_nine: str) -> str:
    """A well-formed NPI for the demo (the Luhn digit over 80840 and the nine)."""
    return first_nine + str(luhn_digit(NPI_PREFIX + first_nine))


def load_billing(db: Session, slug: str, staff: dict[Role, Principal]) -> int:
    """The clinic's fee schedule, identifiers and a month of charges; the number of
    visits charged."""
    admin, desk = staff[Role.ADMIN], staff[Role.FRONT_DESK]
    clinic_id = next(iter(admin.roles))
    today = today_at(db, clinic_id)
    for code, cents in FEES_CENTS.items():
        fees.set_fee(db, admin, clinic_id, code, cents, date(2025, 1, 1))
    fees.set_fee(db, admin, clinic_id, "96365", 45000, today.replace(day=1))
    base = "1710" if slug == "lakeside" else "1720"
    fees.set_identifier(db, admin, clinic_id, npi(f"{base}23456"[:9]), TINS.get(slug, "74-3081562"))
    prescriber = staff[Role.PRESCRIBER]
    fees.set_identifier(db, admin, clinic_id, npi(f"{base}98765"[:9]), user_id=prescriber.user_id)
    since = today - timedelta(days=31)
    sessions = charges.completed_since(db, desk, clinic_id, since)
    corrected = False
    insured: set[int] = set()
    for session_id in sessions:
        charges.generate(db, desk, session_id)
        lines = charges.visit_charges(db, desk, session_id, audited=False).lines
        _insure_esketamine(db, desk, lines, insured)
        for line in lines:
            if line.code == "J3490" and not line.ndc:
                charges.set_ndc(db, desk, line.id, KETAMINE_NDC)
        # Esketamine goes to the insurer: its lines are finalised for the claim at once.
        if lines and (lines[0].date_of_service <= today - timedelta(days=7) or _esketamine(lines)):
            finals = charges.finalise_visit(db, desk, session_id)
            first = _first_hour(finals)
            if not corrected and first is not None:
                charges.correct(
                    db,
                    desk,
                    first.id,
                    "the chart was amended: the drug ran 12 minutes, an IV push",
                    code="96374",
                    units=1,
                )
                corrected = True
    return len(sessions)


def _first_hour(lines: list[ChargeLine]) -> ChargeLine | None:
    return next((line for line in lines if line.code == "96365"), None)


ESKETAMINE_PAYER = "Northstar Health Plan"  # the demo's own insurer


def _insure_esketamine(
    db: Session, desk: Principal, lines: list[ChargeLine], insured: set[int]
) -> None:
    """Esketamine is billed to insurance: its patients have an insurer and member id
    on file, so the visit's CMS-1500 can be made (issue 23, point 5)."""
    if not _esketamine(lines):
        return
    patient_id = lines[0].patient_id
    if patient_id not in insured:
        fees.set_coverage(db, desk, patient_id, ESKETAMINE_PAYER, f"NHP{patient_id:09d}")
        insured.add(patient_id)


def _esketamine(lines: list[ChargeLine]) -> bool:
    return any(line.code in ("G2082", "G2083") for line in lines)
