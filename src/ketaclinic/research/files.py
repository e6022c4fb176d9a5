"""Writes a de-identified export as CSV files with a data dictionary and a README:
into a ZIP when the path ends in ``.zip``, else into a directory."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from ketaclinic.clinical.privacy import safe_harbor
from ketaclinic.research.dictionary import described
from ketaclinic.research.export import Export


def readme(export: Export) -> str:
    r = safe_harbor.rules()
    dates = (
        "Dates are released as years only (true years): within Safe Harbor."
        if export.years_only
        else (
            f"Dates are shifted per patient by a secret offset of up to {r.max_shift_days} "
            "days either way (a keyed hash of the deployment's secret and the patient; the "
            "same offset for all of a patient's dates). Shifted full dates are a DEVIATION "
            "from Safe Harbor, which allows only years: treat this file as a limited data "
            "set under a data use agreement, or export with --years-only."
        )
    )
    return "\n".join(
        [
            "# De-identified research export",
            "",
            "Method: HIPAA Safe Harbor, 45 CFR 164.514(b)(2). The 18 identifiers are not "
            "released: no names, street addresses, cities or full ZIP codes, phone or fax "
            "numbers, emails, record, account or database numbers, device identifiers, URLs, "
            "IP addresses, photographs or free text. The state and the first three ZIP digits "
            "are kept, except the areas of 20,000 people or fewer, shown as 000 "
            f"({', '.join(sorted(r.restricted_zip3))}; {r.restricted_zip3_source.strip()}). "
            f"Ages over {r.oldest_shown_age} are shown as {r.oldest_shown_age + 1}+ and their "
            "birth year is withheld.",
            "",
            "Study ids are drawn at random for each export: two exports cannot be linked by them.",
            "",
            dates,
            "",
            "Intervals (days from the patient's first treatment) are released in both forms.",
            "",
            "Each file's columns are described in data_dictionary.csv.",
            "",
        ]
    )


def _csv(rows: list[list[str]] | list[dict[str, object]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        assert isinstance(row, dict)
        writer.writerow(row)
    return buffer.getvalue()


def contents(export: Export) -> dict[str, str]:
    """File name -> text: one CSV per table, the data dictionary and the README."""
    tables = described(export.years_only)
    files = {
        f"{name}.csv": _csv(export.tables[name], [c for c, _d in columns])
        for name, columns in tables.items()
    }
    dictionary: list[dict[str, object]] = [
        {"file": f"{name}.csv", "column": column, "description": text}
        for name, columns in tables.items()
        for column, text in columns
    ]
    files["data_dictionary.csv"] = _csv(dictionary, ["file", "column", "description"])
    files["README.md"] = readme(export)
    return files


def write(export: Export, path: Path) -> list[str]:
    """Writes the files; returns their names."""
    files = contents(export)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
    else:
        path.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (path / name).write_text(text, encoding="utf-8")
    return list(files)
