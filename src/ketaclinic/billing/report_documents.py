"""A patient's account statement and a payment's receipt as PDFs (fpdf2 with the core
fonts, Latin-1 text, as the superbill: ``billing.documents``)."""

from __future__ import annotations

from fpdf import FPDF

from ketaclinic.billing.documents import _latin
from ketaclinic.billing.service.statements import Header, ReceiptDoc, StatementDoc
from ketaclinic.clinical.billing import dollars

WIDTH_MM = 187  # Letter, 14 mm margins


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, f"Page {self.page_no()}", align="L")


def _start(title: str) -> _Pdf:
    pdf = _Pdf(orientation="P", unit="mm", format="Letter")
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    return pdf


def _text(pdf: FPDF, text: str, size: float = 9, style: str = "") -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.multi_cell(0, 4.8, _latin(text), new_x="LMARGIN", new_y="NEXT", align="L")


def _parties(pdf: FPDF, head: Header) -> None:
    blocks = (
        (
            "From",
            [
                head.clinic_name,
                head.clinic_address or "Address not on file",
                f"Phone: {head.clinic_phone or 'not on file'}",
            ],
        ),
        (
            "Patient",
            [
                head.patient_name,
                f"MRN: {head.patient_mrn}",
                head.patient_address or "Address not on file",
            ],
        ),
    )
    for title, lines in blocks:
        _text(pdf, title, 10, "B")
        for line in lines:
            _text(pdf, line)
        pdf.ln(1.5)


def _amount_row(pdf: FPDF, label: str, cents: int, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 9.5)
    pdf.cell(WIDTH_MM - 38, 5.5, _latin(label))
    pdf.cell(38, 5.5, dollars(cents), align="R", new_x="LMARGIN", new_y="NEXT")


def statement_pdf(doc: StatementDoc) -> bytes:
    pdf = _start("Account statement")
    _text(pdf, f"Period {doc.first} to {doc.last}")
    pdf.ln(2)
    _parties(pdf, doc.header)
    widths = (24, 103, 30, 30)
    pdf.set_font("Helvetica", "B", 8.5)
    for index, (width, head) in enumerate(
        zip(widths, ("Date", "Description", "Amount", "Balance"), strict=True)
    ):
        pdf.cell(width, 6, head, border="B", align="R" if index >= 2 else "L")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8.5)
    pdf.cell(widths[0], 5.5, str(doc.first))
    pdf.cell(widths[1] + widths[2], 5.5, "Balance brought forward")
    pdf.cell(widths[3], 5.5, dollars(doc.opening_cents), align="R", new_x="LMARGIN", new_y="NEXT")
    for line in doc.lines:
        pdf.cell(widths[0], 5.5, str(line.posted_on))
        description = _latin(line.description)
        while description and pdf.get_string_width(description) > widths[1] - 2:
            description = description[:-1]
        pdf.cell(widths[1], 5.5, description)
        pdf.cell(widths[2], 5.5, dollars(line.amount_cents), align="R")
        pdf.cell(widths[3], 5.5, dollars(line.balance_cents), align="R")
        pdf.ln()
    pdf.ln(2)
    _amount_row(pdf, "Balance brought forward", doc.opening_cents)
    _amount_row(pdf, "This period", doc.closing_cents - doc.opening_cents)
    _amount_row(pdf, "Balance", doc.closing_cents)
    if doc.closing_cents < 0:
        _amount_row(pdf, "Credit on your account", -doc.closing_cents, bold=True)
    _amount_row(pdf, "Balance due", doc.due_cents, bold=True)
    return bytes(pdf.output())


def receipt_pdf(doc: ReceiptDoc) -> bytes:
    pdf = _start("Receipt")
    _text(pdf, f"Receipt number {doc.receipt_no or 'not numbered'}", 10, "B")
    _text(pdf, f"Date {doc.posted_on}")
    pdf.ln(2)
    _parties(pdf, doc.header)
    _text(pdf, "Payment", 10, "B")
    for label, value in (
        ("Received", doc.purpose),
        ("Method", doc.method),
        ("Reference", doc.reference or "none"),
        ("Received by", doc.received_by or "not recorded"),
    ):
        _text(pdf, f"{label}: {value}")
    pdf.ln(1.5)
    _amount_row(pdf, "Amount received", doc.amount_cents, bold=True)
    if doc.refunded_cents:
        _amount_row(pdf, "Refunded since", doc.refunded_cents)
    _text(pdf, "Thank you. A card's reference is the card processor's.", 8)
    return bytes(pdf.output())
