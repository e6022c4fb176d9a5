"""PDFs of a session's note and of its Spravato REMS monitoring form (fpdf2, core
fonts, so text is Latin-1)."""

from __future__ import annotations

import json
from typing import Any

from fpdf import FPDF

from ketaclinic.chairside.service import Chart, compose_note
from ketaclinic.clinical.chairside import REMS_FIELDS
from ketaclinic.kit.time import to_local


def _latin(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("µ", "u").replace("≥", ">=").encode("latin-1", "replace").decode("latin-1")


def _doc(title: str, subtitle: str) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="Letter")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin(title), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, _latin(subtitle), new_x="LMARGIN", new_y="NEXT", align="L")
    return pdf


def _drawn_from(drawn: list[dict[str, str]]) -> str:
    """ "; drawn from lot K1 (14.5 mg) and lot K2 (30.7 mg)" (notes signed before the
    draws were named have none)."""
    if not drawn:
        return ""
    return "; drawn from " + " and ".join(f"lot {d['lot']} ({d['mg']} mg)" for d in drawn)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)


def _table(pdf: FPDF, rows: list[list[Any]]) -> None:
    if len(rows) < 2:
        pdf.cell(0, 5, "None recorded.", new_x="LMARGIN", new_y="NEXT")
        return
    # Flush left: fpdf2's tables justify by default, which spreads a short name wide.
    with pdf.table(first_row_as_headings=True, line_height=4.2, text_align="LEFT") as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(_latin(value))


AXIS_W, CHART_H, LOW, HIGH = 8.0, 45.0, 30, 230
SERIES = (("sys", (192, 57, 43)), ("dia", (230, 126, 34)), ("hr", (31, 111, 235)))


def _vitals_chart(pdf: FPDF, vitals: list[dict[str, Any]]) -> None:
    """Systolic, diastolic and heart rate over the session's readings (in order),
    drawn inside the margins: the axis labels in the first 8 mm of
    the text width, the plot across the rest, on a new page if it would not fit."""
    points: dict[str, list[tuple[float, float]]] = {key: [] for key, _c in SERIES}
    if len(vitals) < 2:
        return
    if pdf.will_page_break(CHART_H + 12):
        pdf.add_page()
    pdf.ln(2)
    left, top = pdf.l_margin + AXIS_W, pdf.get_y()
    width = pdf.epw - AXIS_W
    step = width / (len(vitals) - 1)

    def y(value: float) -> float:
        return top + CHART_H - (min(HIGH, max(LOW, value)) - LOW) / (HIGH - LOW) * CHART_H

    for i, v in enumerate(vitals):
        x = left + i * step
        if v["bp"]:
            systolic, diastolic = (int(part) for part in v["bp"].split("/"))
            points["sys"].append((x, y(systolic)))
            points["dia"].append((x, y(diastolic)))
        if v["hr"]:
            points["hr"].append((x, y(v["hr"])))
    pdf.set_draw_color(220, 225, 232)
    for tick in range(40, HIGH + 1, 40):
        pdf.line(left, y(tick), left + width, y(tick))
        pdf.text(pdf.l_margin, y(tick) + 1, str(tick))
    for key, colour in SERIES:
        if len(points[key]) > 1:
            pdf.set_draw_color(*colour)
            pdf.polyline(points[key])
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(top + CHART_H + 2)
    pdf.multi_cell(
        0,
        4,
        "Systolic (red), diastolic (orange), heart rate (blue); "
        f"{vitals[0]['at']} to {vitals[-1]['at']}",
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )


def signature_status(c: Chart) -> str:
    """Where the note stands: a draft, signed by one and awaiting the other, or signed by
    both (the nurse and the prescriber each sign; the first signature freezes it)."""
    if c.note is None:
        return "Draft, not signed"
    signed = {sig.role for sig in c.signatures}
    awaited = [role for role in ("nurse", "prescriber") if role not in signed]
    if not awaited:
        return "Signed by the nurse and the prescriber"
    if not signed:
        return "Awaiting the nurse and the prescriber"
    return f"Signed by the {' and the '.join(sorted(signed))}, awaiting the {awaited[0]}"


def note_pdf(c: Chart) -> bytes:
    """The signed note as frozen (or the draft, marked so), its signatures and addenda."""
    body = json.loads(c.note.body) if c.note else compose_note(c)
    zone = c.clinic.timezone
    status = signature_status(c)
    pdf = _doc(
        f"Session note: {body['patient']} (MRN {body['mrn']})",
        f"{c.clinic.name} - {body['date']} - {body['protocol']}, session "
        f"{body['session_number']} - {body['outcome']} - {status}",
    )
    _heading(pdf, "Timeline")
    _table(
        pdf,
        [["Time", "Step", "By", "Reason"]]
        + [[e["at"], e["step"], e["by"], e["reason"]] for e in body["timeline"]],
    )
    _heading(pdf, "Pre-infusion checks")
    _table(
        pdf,
        [["Item", "Result", "Seen"]]
        + [[x["item"].replace("_", " "), x["result"], x["value"]] for x in body["checks"]],
    )
    _heading(pdf, "Dose")
    dose = body["dose"]
    pdf.multi_cell(
        0,
        5,
        _latin(
            "No dose released."
            if not dose
            else f"{dose['dose_mg']} mg"
            + (
                f" = {dose['volume_ml']} mL at {dose['rate_ml_per_h']} mL/h "
                f"over {dose['duration_min']} min"
                if dose["rate_ml_per_h"]
                else ""
            )
            + (f", {dose['devices']} devices" if dose["devices"] else "")
            + (f"; dosing weight {dose['weight_kg']} kg" if dose["weight_kg"] else "")
            + _drawn_from(dose.get("drawn_from") or [])
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    _heading(pdf, "Vital signs")
    _table(
        pdf,
        [["Time", "BP", "HR", "SpO2", "RR", "Sedation (RASS)", "CADSS", "Source"]]
        + [
            [v["at"], v["bp"], v["hr"], v["spo2"], v["rr"], v["sedation"], v["cadss"], v["source"]]
            for v in body["vitals"]
        ],
    )
    _vitals_chart(pdf, body["vitals"])
    _heading(pdf, "Alerts")
    _table(
        pdf,
        [["Time", "Alert", "Value", "Actions"]]
        + [
            [a["at"], a["label"], a["value"], "; ".join(a["actions"]) or "OPEN"]
            for a in body["alerts"]
        ],
    )
    _heading(pdf, "Side effects and adverse events")
    _table(
        pdf,
        [["Time", "Effect", "Grade", "Serious", "Note"]]
        + [
            [x["at"], x["effect"], x["grade"], "SAE" if x["serious"] else "", x["note"]]
            for x in body["adverse_events"]
        ],
    )
    _heading(pdf, "Rescue medications")
    _table(
        pdf,
        [["Time", "Drug", "Dose", "Route", "By"]]
        + [
            [x["at"], x["drug"], x["dose"], x["route"], x["by"]] for x in body["rescue_medications"]
        ],
    )
    _heading(pdf, "Discharge")
    scores = ", ".join(f"{a['at']} {a['total']}/10" for a in body["aldrete"]) or "none"
    pdf.multi_cell(
        0,
        5,
        _latin(
            f"Modified Aldrete: {scores}. Discharged at "
            f"{body['discharged_at'] or '-'}. {body['instructions']}"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    _heading(pdf, "Signatures")
    for sig in c.signatures:
        pdf.multi_cell(
            0,
            5,
            _latin(
                f"{sig.role.capitalize()}: {c.people.get(sig.by_id or 0, '')}, "
                f"{to_local(sig.at, zone):%Y-%m-%d %H:%M}"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
    pdf.multi_cell(0, 5, _latin(f"{status}."), new_x="LMARGIN", new_y="NEXT", align="L")
    if c.addenda:
        _heading(pdf, "Addenda")
        for a in c.addenda:
            pdf.multi_cell(
                0,
                5,
                _latin(
                    f"{to_local(a.at, zone):%Y-%m-%d %H:%M} "
                    f"{c.people.get(a.by_id or 0, '')}: {a.text}"
                ),
                new_x="LMARGIN",
                new_y="NEXT",
                align="L",
            )
    return bytes(pdf.output())


def rems_pdf(c: Chart, fields: dict[str, Any], missing: dict[str, str]) -> bytes:
    """Every field of the REMS patient monitoring form, as filled
    (docs/clinical-references.md#rems)."""
    pdf = _doc(
        "Spravato REMS patient monitoring form",
        f"{c.clinic.name} - session {c.session.id}"
        + (f" - INCOMPLETE: {len(missing)} fields missing" if missing else ""),
    )

    def shown(value: Any) -> str:
        if value is True:
            return "Yes"
        if value is False:
            return "No"
        return "" if value is None else str(value)

    _table(
        pdf,
        [["Field", "Value"]]
        + [
            [f.label, shown(fields.get(f.key)) or ("MISSING" if f.key in missing else "")]
            for f in REMS_FIELDS
        ],
    )
    return bytes(pdf.output())
