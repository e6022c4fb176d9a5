"""Migrations build the whole schema from empty, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from ketaclinic.kit.db import make_engine
from ketaclinic.kit.migrate import current_heads, downgrade, upgrade
from ketaclinic.models import Base
from tests.conftest import PG_ADMIN_URL


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"ketaclinic_empty_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_it_upgrades_an_empty_database_to_head(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert [version] == current_heads(empty_database_url)
    finally:
        engine.dispose()


def test_it_downgrades_to_empty_and_back(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    downgrade(empty_database_url, "base")
    engine = make_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(empty_database_url)


def test_it_has_migrations_that_match_the_models(engine) -> None:  # type: ignore[no-untyped-def]
    # A model change without a migration shows up here as a difference.
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_it_runs_on_the_database_this_pass_asked_for(engine) -> None:  # type: ignore[no-untyped-def]
    expected = "postgresql" if os.environ.get("KETACLINIC_TEST_DB") == "postgresql" else "sqlite"
    assert engine.dialect.name == expected


def test_it_configures_each_database_connection(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        else:
            assert engine.driver == "psycopg"
            assert engine.dialect.server_version_info >= (13,)
