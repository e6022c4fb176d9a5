"""The signed copy of a consent document (fpdf2, core fonts, so text is Latin-1): the
document's text as signed, the signature block and the SHA-256 of the text."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from ketaclinic.clinical.consents import ConsentDocument
from ketaclinic.consents.models import ConsentSignature
from ketaclinic.patients.models import Patient


def _latin(value: Any) -> str:
    text = "" if value is None else str(value)
    return (
        text.replace("\u2019", "'")
        .replace("\u2013", "-")
        .replace("\u2014", "-")
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def signed_copy(
    document: ConsentDocument, row: ConsentSignature, patient: Patient, clinic_name: str
) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="Letter")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(_latin(document.title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin(document.title), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", "", 9)
    subtitle = (
        f"{clinic_name} - version {document.version}"
        if clinic_name
        else (f"Version {document.version}")
    )
    pdf.multi_cell(0, 5, _latin(subtitle), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 10)
    for paragraph in document.body.split("\n\n"):
        text = " ".join(paragraph.split())
        if text:
            pdf.multi_cell(0, 5, _latin(text), new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(2)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Signature", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9.5)
    lines = [
        f"Patient: {patient.given_name} {patient.family_name}, born {patient.birth_date}",
        f"Signed by typing the name: {row.typed_name}",
        f"Signed at: {row.signed_at.strftime('%Y-%m-%d %H:%M:%S')} UTC",
        f"From address: {row.ip_address}",
        f"Browser: {row.user_agent[:200]}",
        f"Document: {document.title}, version {document.version}",
        f"SHA-256 of the document text: {row.document_sha256}",
    ]
    for line in lines:
        pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT", align="L")
    return bytes(pdf.output())
