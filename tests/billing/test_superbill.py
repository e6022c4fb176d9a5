"""The superbill (issue 23, point 3): per visit or date range, PDF and CSV, with
what payers ask for; only final lines; the CLI writes either."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import principal_for
from ketaclinic.billing import documents
from ketaclinic.billing.errors import DateRangeInvalid
from ketaclinic.billing.models import ChargeLine
from ketaclinic.billing.service import charges, fees, superbill
from ketaclinic.cli import app
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.patients.models import Patient
from ketaclinic.settings import get_settings
from tests.billing.conftest import Billed
from tests.conftest import Persona
from tests.pdf_layout import read_layout

runner = CliRunner()


def final_bill(
    db: Session, billed: Billed, front_desk: Persona, admin: Persona
) -> superbill.Superbill:
    boss = principal_for(db, admin.user)
    fees.set_identifier(db, boss, admin.clinic.id, "1234567893", "74-1234567")
    desk = principal_for(db, front_desk.user)
    fees.set_coverage(db, desk, billed.patient_id, "Lone Star Health", "LSH-4471-09")
    charges.finalise_visit(db, desk, billed.session_id)
    patient = superbill.patient_for_staff(db, desk, billed.patient_id)
    day = db.scalars(
        select(ChargeLine.date_of_service).where(ChargeLine.session_id == billed.session_id)
    ).first()
    assert day is not None
    return superbill.build(db, desk, patient, admin.clinic, day, day)


def test_it_writes_every_field_a_payer_asks_for_in_the_csv(
    db: Session, billed: Billed, front_desk: Persona, admin: Persona
) -> None:
    bill = final_bill(db, billed, front_desk, admin)
    rows = list(csv.DictReader(io.StringIO(documents.to_csv(bill))))
    assert [row["code"] for row in rows] == ["96365", "J3490"]
    first = rows[0]
    assert first["insured_member_id"] == "LSH-4471-09"
    assert (first["billing_npi"], first["tin"], first["place_of_service"]) == (
        "1234567893",
        "74-1234567",
        "11",
    )
    assert first["diagnosis_pointers"] == "A" and first["diagnoses"] == "A F33.2"
    assert (first["units"], first["charge"], first["amount_paid"]) == ("1", "450.00", "0.00")
    assert rows[1]["ndc_quantity"] == "ME34.2" and rows[1]["ndc"]
    assert set(documents.CSV_FIELDS) == set(first)


def test_it_prints_the_superbill_inside_the_margins(
    db: Session, billed: Billed, front_desk: Persona, admin: Persona
) -> None:
    bill = final_bill(db, billed, front_desk, admin)
    layout = read_layout(documents.to_pdf(bill))
    assert layout.outside(left_mm=13.5, top_mm=13.5, bottom_mm=8) == []
    for field in (
        "Superbill",
        "Billing NPI: 1234567893",
        "TIN: 74-1234567",
        "Insured member id: LSH-4471-09",
        "Place of service: 11",
        "96365",
        "J3490",
        "A F33.2",
        "$450.00",
        "Amount paid",
        "Balance",
    ):
        assert field in layout.text, field
    assert layout.word_spacing == [] or set(layout.word_spacing) == {0}


def test_it_leaves_drafts_off_and_refuses_a_backward_range(
    db: Session, billed: Billed, front_desk: Persona, admin: Persona
) -> None:
    desk = principal_for(db, front_desk.user)
    patient = superbill.patient_for_staff(db, desk, billed.patient_id)
    bill = superbill.build(db, desk, patient, admin.clinic, date(2020, 1, 1), date(2030, 1, 1))
    assert bill.lines == []
    with pytest.raises(DateRangeInvalid):
        superbill.build(db, desk, patient, admin.clinic, date(2026, 2, 1), date(2026, 1, 1))


@pytest.fixture
def cli_db(fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", fresh_url)
    monkeypatch.setenv("KETACLINIC_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    engine = make_engine(fresh_url)
    with make_sessionmaker(engine)() as db:
        if engine.dialect.name == "postgresql":
            db.execute(text("SELECT set_config('ketaclinic.clinic_ids', '*', true)"))
        clinic = create_clinic(db, slug="sb-north", name="Superbill North", timezone="UTC")
        db.add(
            Patient(
                clinic_id=clinic.id,
                mrn="SB00017",
                given_name="Rosa",
                family_name="Okafor",
                search_name="rosa okafor",
                birth_date=date(1979, 5, 2),
                sex_at_birth="female",
            )
        )
        db.commit()
    engine.dispose()
    yield fresh_url
    get_settings.cache_clear()


def test_it_writes_a_superbill_from_the_command_line(cli_db: str, tmp_path: Path) -> None:
    base = ["billing", "superbill", "--patient", "SB00017", "--from", "2026-11-01"]
    pdf = tmp_path / "rosa.pdf"
    done = runner.invoke(app, [*base, "--to", "2026-11-30", "-o", str(pdf)])
    assert done.exit_code == 0, done.output
    assert "Rosa Okafor" in read_layout(pdf.read_bytes()).text
    table = tmp_path / "rosa.csv"
    done = runner.invoke(app, [*base, "--to", "2026-11-30", "-o", str(table)])
    assert done.exit_code == 0, done.output
    assert table.read_text().startswith("patient_name,")
    backwards = runner.invoke(app, [*base, "--to", "2026-10-01", "-o", str(pdf)])
    assert backwards.exit_code != 0 and "--to" in backwards.output
    unknown = runner.invoke(
        app,
        [
            "billing",
            "superbill",
            "--patient",
            "NOPE",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "-o",
            str(pdf),
        ],
    )
    assert unknown.exit_code != 0 and "--patient" in unknown.output
    engine = make_engine(cli_db)
    with make_sessionmaker(engine)() as db:
        if engine.dialect.name == "postgresql":
            db.execute(text("SELECT set_config('ketaclinic.clinic_ids', '*', true)"))
        audited = db.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "patient.billing.superbill")
        ).all()
    engine.dispose()
    assert len(audited) == 2
