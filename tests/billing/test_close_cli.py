"""``ketaclinic billing close`` and ``ketaclinic billing ageing`` at the terminal: the
same sums as the pages, as a table or JSON, audited on the clinic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from ketaclinic.audit.models import AuditEvent
from ketaclinic.auth.service import create_user
from ketaclinic.cli import app
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.settings import get_settings
from tests.billing.account_rows import TODAY, entry, patient

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
        if db.scalar(select(Clinic.id).where(Clinic.slug == "close-north")) is not None:
            db.rollback()
            engine.dispose()
            yield fresh_url
            get_settings.cache_clear()
            return
        clinic = create_clinic(db, slug="close-north", name="Close North", timezone="UTC")
        desk = create_user(
            db,
            email="remy.desk@close-north.example.org",
            name="Remy Reception",
            password="a long enough passphrase 1",
            role="front_desk",
            clinic=clinic,
        )
        rosa = patient(db, clinic, "CL00001", "Rosa", "Okafor")
        entry(db, rosa, "charge", 45_000, TODAY)
        entry(db, rosa, "payment", -30_000, TODAY, method="card", receipt_no="C-1", by_id=desk.id)
        entry(db, rosa, "payment", -5_000, TODAY, method="cash", receipt_no="C-2", by_id=desk.id)
        db.commit()
    engine.dispose()
    yield fresh_url
    get_settings.cache_clear()


def test_it_prints_the_daily_close(cli_db: str) -> None:
    done = runner.invoke(
        app, ["billing", "close", "--clinic", "close-north", "--date", "2026-12-09"]
    )
    assert done.exit_code == 0, done.output
    assert "Remy Reception" in done.output and "$350.00" in done.output
    as_json = runner.invoke(
        app, ["billing", "close", "--clinic", "close-north", "--date", "2026-12-09", "--json"]
    )
    body = json.loads(as_json.output)
    assert body["received_by_method"] == {"card": 30_000, "cash": 5_000}
    assert body["net_cents"] == 35_000
    bad = runner.invoke(app, ["billing", "close", "--clinic", "close-north", "--date", "9/12"])
    assert bad.exit_code != 0 and "--date" in bad.output
    unknown = runner.invoke(app, ["billing", "close", "--clinic", "nowhere"])
    assert unknown.exit_code != 0 and "--clinic" in unknown.output


def test_it_prints_the_ageing(cli_db: str) -> None:
    done = runner.invoke(
        app, ["billing", "ageing", "--clinic", "close-north", "--as-of", "2026-12-09"]
    )
    assert done.exit_code == 0, done.output
    assert "Rosa Okafor" in done.output and "$100.00" in done.output
    as_json = runner.invoke(
        app, ["billing", "ageing", "--clinic", "close-north", "--as-of", "2027-02-01", "--json"]
    )
    body = json.loads(as_json.output)
    assert body["patients"][0]["days_31_60_cents"] == 10_000
    bad = runner.invoke(app, ["billing", "ageing", "--clinic", "close-north", "--as-of", "x"])
    assert bad.exit_code != 0 and "--as-of" in bad.output
    engine = make_engine(cli_db)
    with make_sessionmaker(engine)() as db:
        if engine.dialect.name == "postgresql":
            db.execute(text("SELECT set_config('ketaclinic.clinic_ids', '*', true)"))
        audited = db.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "billing.ageing.read")
        ).all()
    engine.dispose()
    assert len(audited) == 2
