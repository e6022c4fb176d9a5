"""Backups that restore: one file per backup, restored only into an empty database.

SQLite is copied with its online backup API (a consistent copy of a live database,
never a raw copy of a file being written). PostgreSQL is dumped with ``pg_dump`` in
its custom format and restored with ``pg_restore`` (Debian's ``postgresql-client``),
so the append-only triggers, row-level security policies and hash chains come back
as they were. ``verify_backup`` restores into a scratch database and checks both
hash chains there (``docs/operations.md``).
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess  # pg_dump and pg_restore, run with argument lists
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from ketaclinic.kit.errors import Conflict, FieldInvalid, ValidationFailed


class BackupFailed(ValidationFailed):
    """A backup or restore tool refused; the message is what it said."""

    code = "backup_failed"


class InMemoryDatabase(FieldInvalid):
    code = "backup_in_memory_database"
    field = "database_url"


class BackupOutputExists(FieldInvalid):
    code = "backup_output_exists"
    field = "output"


class DatabaseFileMissing(FieldInvalid):
    code = "backup_database_missing"
    field = "database_url"


class BackupFileMissing(FieldInvalid):
    code = "backup_file_missing"
    field = "file"


class RestoreTargetNotEmpty(Conflict):
    code = "restore_target_not_empty"
    default_message = (
        "The database is not empty: restore into a new, empty database "
        "(a restore never overwrites records)."
    )


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise InMemoryDatabase("an in-memory SQLite database has no backup")
    return Path(url.database)


def _libpq(url: URL) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupFailed.on(
            "database_url", f"{command[0]} is not installed (apt-get install postgresql-client)"
        )
    done = subprocess.run([tool, *command[1:]], capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        last = said[-1] if said else f"exit status {done.returncode}"
        raise BackupFailed.on("file", f"{command[0]} failed: {last}")


def backup(database_url: str, output: Path) -> None:
    """Write a backup of the database to ``output`` (refuses to overwrite a file)."""
    if output.exists():
        raise BackupOutputExists(f"{output} exists; choose a new file")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not _sqlite_path(url).is_file():
            raise DatabaseFileMissing(f"{_sqlite_path(url)} does not exist")
        with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(output) as target:
            source.backup(target)
        return
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={output}", _libpq(url)])


def is_empty(database_url: str) -> bool:
    engine = create_engine(make_url(database_url))
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(backup_file: Path, database_url: str) -> None:
    """Restore ``backup_file`` into the database, which must be empty."""
    if not backup_file.is_file():
        raise BackupFileMissing(f"{backup_file} is not a file")
    if not is_empty(database_url):
        raise RestoreTargetNotEmpty()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(backup_file) as source:
            try:
                sound = source.execute("PRAGMA quick_check").fetchone() == ("ok",)
            except sqlite3.DatabaseError:
                sound = False
            if not sound:
                raise BackupFailed.on("file", f"{backup_file} is not a sound SQLite backup")
            with sqlite3.connect(_sqlite_path(url)) as target:
                source.backup(target)
        return
    _run(
        [
            "pg_restore",
            "--exit-on-error",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq(url)}",
            str(backup_file),
        ]
    )


@contextmanager
def scratch_database(like_url: str, folder: Path) -> Iterator[str]:
    """An empty database of the same kind, dropped afterwards: a file in ``folder``
    for SQLite, a new database on the same PostgreSQL server."""
    url = make_url(like_url)
    name = f"ketaclinic_verify_{secrets.token_hex(4)}"
    if url.get_backend_name() == "sqlite":
        path = folder / f"{name}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for leftover in folder.glob(f"{name}.db*"):
                leftover.unlink()
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
