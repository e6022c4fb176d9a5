"""``ketaclinic import fhir``, in-process against a fresh database: a dry run by
default, ``--commit`` creates, a file that is not a bundle or too large is refused."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from ketaclinic.cli import app
from ketaclinic.kit.db import make_engine
from ketaclinic.patients.models import Patient
from tests.onboarding import bundles
from tests.test_cli_export import cli_db  # noqa: F401 - the fixture

runner = CliRunner()
ADMIN = "admin@riverside.example.org"


def _patients(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(Patient))
    engine.dispose()
    return int(count or 0)


def test_it_shows_a_dry_run_then_imports_with_commit(cli_db: str, tmp_path: Path) -> None:  # noqa: F811
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(bundles.onboarding())
    args = ["import", "fhir", str(bundle), "--clinic", "riverside", "--by", ADMIN]
    dry = runner.invoke(app, args)
    assert dry.exit_code == 0, dry.output
    said = " ".join(dry.output.split())  # the terminal's width wraps lines
    assert "Would create 2 patient(s); refused 3 entries" in said
    assert "Nothing was written" in said and "Holt," in said and "Brandt," in said
    assert "ICD-10-CM" in said and "1 Observation" in said
    assert _patients(cli_db) == 0
    done = runner.invoke(app, [*args, "--commit"])
    assert done.exit_code == 0, done.output
    assert "Created 2 patient(s)" in " ".join(done.output.split())
    assert _patients(cli_db) == 2


def test_it_refuses_what_is_not_a_bundle_or_too_large(cli_db: str, tmp_path: Path) -> None:  # noqa: F811
    notes = tmp_path / "notes.json"
    notes.write_text('{"resourceType": "Patient"}')
    base = ["import", "fhir", "--clinic", "riverside", "--by", ADMIN]
    refused = runner.invoke(app, [*base, str(notes)])
    assert refused.exit_code == 2 and "not a FHIR Bundle" in refused.output
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (2 * 1024 * 1024))
    too_big = runner.invoke(app, [*base, str(big), "--max-mb", "1"])
    assert too_big.exit_code == 2 and "over --max-mb 1" in too_big.output
    missing = runner.invoke(app, [*base, str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "no such file" in missing.output
