"""``ketaclinic report outcomes``: the same figures at the terminal, as a table or a
PDF, audited on the clinic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from ketaclinic.audit.models import AuditEvent
from ketaclinic.cli import app
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.settings import get_settings
from tests.pdf_layout import read_layout
from tests.reports import fixture

runner = CliRunner()


@pytest.fixture
def cli_db(fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", fresh_url)
    monkeypatch.setenv("KETACLINIC_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    engine = make_engine(fresh_url)
    with make_sessionmaker(engine)() as db:
        if engine.dialect.name == "postgresql":
            db.execute(text("SELECT set_config('ketaclinic.clinic_ids', '*', true)"))
        clinic = create_clinic(
            db, slug="northgate", name="Northgate Ketamine", timezone="America/Chicago"
        )
        other = create_clinic(
            db, slug="southpark", name="Southpark Infusions", timezone="America/Denver"
        )
        fixture.build(db, clinic, other)
        db.commit()
    engine.dispose()
    yield fresh_url
    get_settings.cache_clear()


def test_it_prints_the_report_and_writes_a_pdf(cli_db: str, tmp_path: Path) -> None:
    args = [
        "report",
        "outcomes",
        "--clinic",
        "northgate",
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-30",
    ]
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "Northgate Ketamine: outcomes 2026-09-01 to 2026-09-30" in shown.output
    target = tmp_path / "outcomes.pdf"
    written = runner.invoke(app, [*args, "-o", str(target)])
    assert written.exit_code == 0, written.output
    assert "3 patients" in written.output
    text = read_layout(target.read_bytes()).text
    assert "Northgate Ketamine" in text and "Quillon" not in text
    engine = make_engine(cli_db)
    with make_sessionmaker(engine)() as db:
        actions = db.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "report.outcomes.read")
        ).all()
    engine.dispose()
    assert len(actions) == 2
