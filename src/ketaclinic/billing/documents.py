"""A superbill as PDF (fpdf2, core fonts: Latin-1 text) and CSV, with every field a
payer asks for (issue 23): patient and insured member id, provider name, NPI, TIN
and address, dates and place of service, CPT/HCPCS with modifiers, units, charges,
ICD-10-CM codes with pointers, the amount paid."""

from __future__ import annotations

import csv
import io
from typing import Any

from fpdf import FPDF

from ketaclinic.billing.service.superbill import Superbill
from ketaclinic.clinical.billing import dollars

CSV_FIELDS = (
    "patient_name",
    "patient_birth_date",
    "patient_mrn",
    "patient_address",
    "payer",
    "insured_member_id",
    "provider_name",
    "rendering_npi",
    "billing_provider",
    "billing_npi",
    "tin",
    "provider_address",
    "date_of_service",
    "place_of_service",
    "code",
    "modifiers",
    "description",
    "units",
    "ndc",
    "ndc_quantity",
    "unit_charge",
    "charge",
    "diagnosis_pointers",
    "diagnoses",
    "amount_paid",
)


def _latin(value: Any) -> str:
    text = "" if value is None else str(value)
    for old, new in (("\u2019", "'"), ("\u2013", "-"), ("\u2014", "-"), ("\u00d7", "x")):
        text = text.replace(old, new)
    return text.encode("latin-1", "replace").decode("latin-1")


def _address(bill: Superbill) -> str:
    p = bill.patient
    parts = [p.address_line, p.city, p.region, p.postal_code]
    return ", ".join(part for part in parts if part)


def _diagnoses(bill: Superbill) -> str:
    return "; ".join(f"{'ABCDEFGHIJKL'[i]} {code}" for i, code in enumerate(bill.diagnoses))


def to_csv(bill: Superbill) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    p = bill.patient
    for line in bill.lines:
        provider = bill.providers.get(line.rendering_user_id or 0)
        writer.writerow(
            {
                "patient_name": f"{p.given_name} {p.family_name}",
                "patient_birth_date": p.birth_date.isoformat(),
                "patient_mrn": p.mrn,
                "patient_address": _address(bill),
                "payer": bill.payer,
                "insured_member_id": bill.member_id,
                "provider_name": provider.name if provider else "",
                "rendering_npi": provider.npi if provider else "",
                "billing_provider": bill.clinic_name,
                "billing_npi": bill.billing_npi,
                "tin": bill.tin,
                "provider_address": bill.clinic_address,
                "date_of_service": line.date_of_service.isoformat(),
                "place_of_service": line.place_of_service,
                "code": line.code,
                "modifiers": line.modifiers,
                "description": line.description,
                "units": line.units,
                "ndc": line.ndc or "",
                "ndc_quantity": f"{line.ndc_unit}{line.ndc_quantity.normalize()}"
                if line.ndc_quantity is not None
                else "",
                "unit_charge": f"{(line.unit_price_cents or 0) / 100:.2f}",
                "charge": f"{(line.amount_cents or 0) / 100:.2f}",
                "diagnosis_pointers": bill.pointer_codes(line),
                "diagnoses": _diagnoses(bill),
                "amount_paid": "0.00",
            }
        )
    return out.getvalue()


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, f"Page {self.page_no()}", align="L")


def to_pdf(bill: Superbill) -> bytes:
    pdf = _Pdf(orientation="P", unit="mm", format="Letter")
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title("Superbill")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "Superbill", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    when = (
        f"Date of service {bill.first}"
        if bill.first == bill.last
        else f"Dates of service {bill.first} to {bill.last}"
    )
    pdf.multi_cell(0, 5, _latin(when), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)
    p = bill.patient
    renderers = ", ".join(
        f"{pr.name} (NPI {pr.npi or 'not on file'})" for pr in bill.providers.values()
    )
    blocks = [
        (
            "Provider",
            [
                f"Billing provider: {bill.clinic_name}",
                f"Address: {bill.clinic_address or 'not on file'}",
                f"Billing NPI: {bill.billing_npi or 'not on file'}",
                f"TIN: {bill.tin or 'not on file'}",
                f"Rendering provider: {renderers or 'not on file'}",
                "Place of service: 11 (office)",
            ],
        ),
        (
            "Patient",
            [
                f"Name: {p.given_name} {p.family_name}",
                f"Date of birth: {p.birth_date}",
                f"MRN: {p.mrn}",
                f"Address: {_address(bill) or 'not on file'}",
                f"Insurer: {bill.payer or 'none on file'}",
                f"Insured member id: {bill.member_id or 'none on file'}",
            ],
        ),
        ("Diagnoses (ICD-10-CM)", [_diagnoses(bill) or "none"]),
    ]
    for title, lines in blocks:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for text in lines:
            pdf.multi_cell(0, 4.8, _latin(text), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(1.5)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, "Services", new_x="LMARGIN", new_y="NEXT")
    widths = (20, 16, 12, 57, 11, 13, 28, 30)
    heads = ("Date", "Code", "Mod", "Description", "Units", "Dx ptr", "Unit charge", "Charge")
    pdf.set_font("Helvetica", "B", 8.5)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 6, head, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8.5)
    for line in bill.lines:
        description = line.description[:38]
        if line.ndc:
            description = f"{line.description[:22]} NDC {line.ndc}"
        cells = (
            str(line.date_of_service),
            line.code,
            line.modifiers,
            description,
            str(line.units),
            bill.pointer_codes(line),
            dollars(line.unit_price_cents or 0),
            dollars(line.amount_cents or 0),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 5.5, _latin(text))
        pdf.ln()
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 9.5)
    for label, cents in (
        ("Total charges", bill.total_cents),
        ("Amount paid", bill.paid_cents),
        ("Balance", bill.balance_cents),
    ):
        pdf.cell(149, 5.5, label)
        pdf.cell(38, 5.5, dollars(cents), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
