"""The outcomes report as rows (the page, CSV and PDF share them), as JSON, and as a PDF
made with fpdf2 inside its margins. Aggregates only: no patient is named anywhere."""

from __future__ import annotations

import csv
import io
from typing import Any

from fpdf import FPDF

from ketaclinic.clinical import stats
from ketaclinic.reports.service import OutcomeReport

CSV_COLUMNS = ("section", "measure", "n", "value", "low_95", "high_95", "note")


def pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def interval(low: float | None, high: float | None, *, percent: bool = True) -> str:
    if low is None or high is None:
        return ""
    return f"{pct(low)} to {pct(high)}" if percent else f"{low:.1f} to {high:.1f}"


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def rows(report: OutcomeReport) -> list[tuple[str, ...]]:
    """(section, measure, n, value, low, high, note) for every figure."""
    out: list[tuple[str, ...]] = [
        ("cohort", "Completed induction", str(report.cohort), "", "", "", ""),
    ]
    for i in report.instruments:
        out.append(
            (
                i.name,
                "Baseline and end-of-induction measure",
                str(i.with_end),
                "",
                "",
                "",
                f"{i.missing} with a baseline lack an end-of-induction measure",
            )
        )
        r = i.response
        out.append((i.name, "Response", str(r.n), pct(r.rate), pct(r.low), pct(r.high), ""))
        if i.remission is not None:
            m = i.remission
            out.append((i.name, "Remission", str(m.n), pct(m.rate), pct(m.low), pct(m.high), ""))
        c = i.change
        note = "" if c.sd is None else f"SD {c.sd:.1f}"
        out.append((i.name, "Mean change", str(c.n), _num(c.mean), _num(c.low), _num(c.high), note))
    out += _km_rows("Durability", report.durability, "still responding")
    out += _km_rows("Boosters", report.boosters, "without a booster")
    for s in report.safety:
        rate = s.per_100(report.sessions)
        out.append(
            (
                "Safety per 100 sessions",
                s.label,
                str(report.sessions),
                _num(rate),
                "",
                "",
                f"{s.sessions} sessions",
            )
        )
    for number, q in report.cadss:
        out.append(
            (
                "Dissociation (CADSS)",
                f"Session {number}",
                str(q.n),
                _num(q.median),
                _num(q.q1),
                _num(q.q3),
                "median and interquartile range of the session's highest score",
            )
        )
    ref = report.reference
    out.append(
        ("Reference", "Response", str(ref.patients), pct(ref.response_rate), "", "", ref.source)
    )
    out.append(
        ("Reference", "Remission", str(ref.patients), pct(ref.remission_rate), "", "", ref.source)
    )
    for weeks, share in ref.still_responding:
        out.append(
            ("Reference", f"Still responding at {weeks} weeks", "", pct(share), "", "", ref.source)
        )
    return out


def _km_rows(section: str, km: stats.KmCurve, what: str) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [
        (
            section,
            "Median (days)",
            str(km.subjects),
            _num(km.median) if km.median is not None else "not reached",
            "",
            "",
            f"{km.events} events",
        )
    ]
    for weeks in (4, 8, 12):
        point = km.at(weeks * 7)
        if point is not None:
            out.append(
                (
                    section,
                    f"Share {what} at {weeks} weeks",
                    str(point.at_risk),
                    pct(point.survival),
                    pct(point.low),
                    pct(point.high),
                    "",
                )
            )
    return out


def to_csv(report: OutcomeReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows(report))
    return out.getvalue()


def _proportion(p: stats.Proportion | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"events": p.events, "n": p.n, "rate": p.rate, "low": p.low, "high": p.high}


def to_json(report: OutcomeReport) -> dict[str, Any]:
    r = report.request
    return {
        "clinics": list(report.clinics),
        "from": r.since.isoformat(),
        "to": r.until.isoformat(),
        "filters": {
            "protocol": r.protocol,
            "route": r.route,
            "diagnosis": r.diagnosis,
            "age_band": r.age_band,
            "sex": r.sex,
        },
        "cohort": report.cohort,
        "instruments": [
            {
                "instrument": i.instrument_id,
                "name": i.name,
                "with_baseline": i.with_baseline,
                "with_end_of_induction": i.with_end,
                "missing_end_of_induction": i.missing,
                "response": _proportion(i.response),
                "remission": _proportion(i.remission),
                "mean_change": {
                    "n": i.change.n,
                    "mean": i.change.mean,
                    "sd": i.change.sd,
                    "low": i.change.low,
                    "high": i.change.high,
                },
            }
            for i in report.instruments
        ],
        "durability": _km(report.durability) | {"instrument": report.durability_instrument},
        "time_to_first_booster": _km(report.boosters),
        "safety": {
            "sessions": report.sessions,
            "per_100_sessions": [
                {"event": s.label, "sessions": s.sessions, "per_100": s.per_100(report.sessions)}
                for s in report.safety
            ],
        },
        "cadss_by_session": [
            {"session": n, "n": q.n, "q1": q.q1, "median": q.median, "q3": q.q3}
            for n, q in report.cadss
        ],
        "reference": {
            "source": report.reference.source,
            "response_rate": report.reference.response_rate,
            "remission_rate": report.reference.remission_rate,
            "still_responding": [
                {"weeks": w, "share": s} for w, s in report.reference.still_responding
            ],
        },
    }


def _km(km: stats.KmCurve) -> dict[str, Any]:
    return {
        "subjects": km.subjects,
        "events": km.events,
        "median_days": km.median,
        "table": [
            {
                "days": p.time,
                "survival": p.survival,
                "low": p.low,
                "high": p.high,
                "at_risk": p.at_risk,
            }
            for p in km.points
        ],
    }


def to_pdf(report: OutcomeReport) -> bytes:
    """Portrait Letter pages inside fpdf2's 10 mm margins, cells flush left."""
    pdf = FPDF(orientation="P", unit="mm", format="Letter")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    title = _latin(f"Outcomes report: {', '.join(report.clinics)}")
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font("Helvetica", "", 9)
    r = report.request
    lines = [
        f"Patients who completed induction from {r.since.isoformat()} to {r.until.isoformat()}: "
        f"{report.cohort}.",
        "Induction: 4-8 treatments over 7-28 days. End-of-induction measure: the last score "
        "14-31 days after the first treatment. Intervals are 95% (Wilson for rates).",
        f"Reference: {report.reference.source}.",
    ]
    for line in lines:
        pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 7)
    headings = ("Section", "Measure", "n", "Value", "95% low", "95% high", "Note")
    table = [headings, *(tuple(_latin(v) for v in row) for row in rows(report))]
    widths = (30.0, 50.0, 12.0, 18.0, 16.0, 16.0, pdf.epw - 142.0)
    with pdf.table(
        first_row_as_headings=True, line_height=3.8, text_align="LEFT", col_widths=widths
    ) as t:
        for row in table:
            cells = t.row()
            for value in row:
                cells.cell(value)
    return bytes(pdf.output())


def _latin(text: str) -> str:
    """The PDF core fonts are Latin-1: spell out what they cannot draw."""
    return text.replace("≥", ">=").encode("latin-1", "replace").decode("latin-1")
