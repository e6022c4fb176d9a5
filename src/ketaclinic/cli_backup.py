"""``ketaclinic backup`` and ``ketaclinic restore``: the commands over ``kit.backup``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ketaclinic.cli_common import err
from ketaclinic.kit.backup import backup, restore, scratch_database
from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.settings import get_settings


def _fail(exc: KetaClinicError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc.message}")
    for field, message in exc.fields.items():
        err.print(f"  {field.replace('_', '-')}: {message}")
    return typer.Exit(code=2)


def verify_restored(database_url: str) -> list[str]:
    """Both hash chains and every ledger balance of a restored database; the problems."""
    from ketaclinic.audit import service as audit
    from ketaclinic.ledger import verify as ledger

    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as db:
            set_visible_clinics(db, "*")
            audited, broken = audit.verify(db)
            counted, problem = ledger.verify(db)
    finally:
        engine.dispose()
    found = []
    if broken is not None:
        found.append(f"audit trail broken in chain {broken.chain_key} at seq {broken.seq}")
    if problem is not None:
        found.append(f"ledger problem at {problem}")
    from ketaclinic.cli_common import out

    out.print(f"Checked {audited} audit events and {counted} ledger entries in the restored copy.")
    return found


def backup_command(
    output: Annotated[Path | None, typer.Option(help="The backup file to write")] = None,
    verify: Annotated[
        Path | None,
        typer.Option(help="Restore this backup into a scratch database and verify it there"),
    ] = None,
) -> None:
    """Back up the database to one file (SQLite: online backup; PostgreSQL: pg_dump)."""
    from ketaclinic.cli_common import err, out

    url = get_settings().database_url
    if (output is None) == (verify is None):
        err.print("[red]error:[/red] give --output FILE to back up, or --verify FILE to check one")
        raise typer.Exit(code=2)
    try:
        if output is not None:
            backup(url, output)
            out.print(f"[green]Backed up[/green] to {output} ({output.stat().st_size:,} bytes).")
            return
        assert verify is not None
        with tempfile.TemporaryDirectory() as folder, scratch_database(url, Path(folder)) as copy:
            from ketaclinic.kit.migrate import upgrade

            restore(verify, copy)
            upgrade(copy)  # an older backup is brought to this version's schema
            problems = verify_restored(copy)
    except KetaClinicError as exc:
        raise _fail(exc) from None
    if problems:
        for problem in problems:
            err.print(f"[red]{problem}[/red]")
        raise typer.Exit(code=1)
    out.print(f"[green]Backup verified:[/green] {verify} restores, and both chains check.")


def restore_command(
    file: Annotated[Path, typer.Argument(help="A backup written by `ketaclinic backup`")],
) -> None:
    """Restore a backup into the configured database, which must be empty."""
    from ketaclinic.cli_common import out

    try:
        restore(file, get_settings().database_url)
    except KetaClinicError as exc:
        raise _fail(exc) from None
    out.print(f"[green]Restored[/green] {file}. Run `ketaclinic migrate`, then the two verifies.")
