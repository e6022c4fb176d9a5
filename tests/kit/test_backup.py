"""Backups that restore, on the database this pass runs on: the demo backed up,
restored into an empty database, every table's rows identical, both hash chains and
every ledger balance verified there; a restore never overwrites a database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from ketaclinic.cli import app
from ketaclinic.cli_backup import verify_restored
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.backup import backup, is_empty, restore, scratch_database
from ketaclinic.kit.db import Base, make_engine, make_sessionmaker, set_visible_clinics
from ketaclinic.kit.errors import Conflict, ValidationFailed
from ketaclinic.kit.migrate import upgrade
from ketaclinic.settings import get_settings

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_url(fresh_url: str) -> str:
    """The demo, committed, in a database of this module's own."""
    engine = make_engine(fresh_url)
    with make_sessionmaker(engine)() as db:
        set_visible_clinics(db, "*")
        load_demo(db, solve_seconds=1)
        db.commit()
    engine.dispose()
    return fresh_url


@pytest.fixture
def scratch(demo_url: str, tmp_path: Path) -> Iterator[str]:
    with scratch_database(demo_url, tmp_path) as url:
        yield url


def _rows(engine: Engine) -> dict[str, list[Any]]:
    tables: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # as the owner: row-level security aside
            conn.execute(text("SELECT set_config('ketaclinic.clinic_ids', '*', false)"))
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns)
            tables[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        tables["alembic_version"] = list(conn.execute(text("SELECT * FROM alembic_version")))
    return tables


def test_it_restores_the_demo_row_for_row_and_both_chains_verify(
    demo_url: str, scratch: str, tmp_path: Path
) -> None:
    file = tmp_path / "demo.backup"
    backup(demo_url, file)
    assert file.stat().st_size > 0 and is_empty(scratch)
    restore(file, scratch)
    original, copy = make_engine(demo_url), make_engine(scratch)
    try:
        before, after = _rows(original), _rows(copy)
    finally:
        original.dispose()
        copy.dispose()
    assert sum(len(rows) for rows in before.values()) > 3_000  # the whole demo
    assert before.keys() == after.keys()
    assert [name for name in before if before[name] != after[name]] == []
    assert verify_restored(scratch) == []


def test_it_keeps_the_append_only_triggers_in_the_copy(
    demo_url: str, scratch: str, tmp_path: Path
) -> None:
    file = tmp_path / "demo.backup"
    backup(demo_url, file)
    restore(file, scratch)
    copy = make_engine(scratch)
    try:
        with copy.begin() as conn, pytest.raises(Exception, match=r"append-only|not allowed"):
            conn.execute(text("UPDATE audit_events SET actor = 'nobody'"))
    finally:
        copy.dispose()


def test_it_never_restores_over_a_database_with_records(demo_url: str, tmp_path: Path) -> None:
    file = tmp_path / "demo.backup"
    backup(demo_url, file)
    with pytest.raises(Conflict, match="not empty"):
        restore(file, demo_url)
    with pytest.raises(ValidationFailed, match="exists"):
        backup(demo_url, file)


def test_it_backs_up_and_verifies_from_the_command_line(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KETACLINIC_DATABASE_URL", demo_url)
    get_settings.cache_clear()
    try:
        file = tmp_path / "nightly.backup"
        made = runner.invoke(app, ["backup", "--output", str(file)])
        assert made.exit_code == 0, made.output
        checked = runner.invoke(app, ["backup", "--verify", str(file)])
        assert checked.exit_code == 0, checked.output
        assert "Backup verified" in checked.stdout
        refused = runner.invoke(app, ["restore", str(file)])
        assert refused.exit_code == 2 and "not empty" in refused.output
        (tmp_path / "garbage.backup").write_bytes(b"not a backup")
        bad = runner.invoke(app, ["backup", "--verify", str(tmp_path / "garbage.backup")])
        assert bad.exit_code == 2, bad.output
    finally:
        get_settings.cache_clear()


def test_it_migrates_a_restored_copy_without_change(
    demo_url: str, scratch: str, tmp_path: Path
) -> None:
    file = tmp_path / "demo.backup"
    backup(demo_url, file)
    restore(file, scratch)
    upgrade(scratch)  # already at head: nothing to do, nothing refused
    assert not is_empty(scratch)


def test_it_refuses_to_back_up_a_database_that_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="does not exist"):
        backup(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "x.backup")
    assert not (tmp_path / "missing.db").exists()
