"""What every command module shares: the consoles, the command's transaction, the
origin it is audited under."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from ketaclinic.identity.principal import Origin
from ketaclinic.kit.clock_store import read_clock
from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.time import shifted_clock
from ketaclinic.settings import get_settings

out = Console()
err = Console(stderr=True)


# A service field whose command-line flag has another name.
FLAG_OF = {"subdivision": "state"}


@contextmanager
def unit_of_work(
    refused: Callable[[Session, KetaClinicError], None] | None = None,
) -> Iterator[Session]:
    """The command is the transaction: commit at the end, or write nothing. A refusal
    (401/403) is handed to ``refused`` after the rollback, in a transaction of its own
    that commits, so the attempt stays on the audit trail like a refused request."""
    engine = make_engine(get_settings().database_url)
    sessions = make_sessionmaker(engine)
    # The command runs on the deployment's clock (the demo's, on a demo database).
    clock = read_clock(sessions())
    session = sessions()
    try:
        with shifted_clock(clock.shift):
            # An admin at the terminal is system work: every clinic is visible to
            # PostgreSQL's row-level security (the repository still scopes by user).
            set_visible_clinics(session, "*")
            yield session
            session.commit()
    except KetaClinicError as exc:
        session.rollback()
        if refused is not None and exc.status_code in (401, 403):
            with shifted_clock(clock.shift):
                set_visible_clinics(session, "*")
                refused(session, exc)
                session.commit()
        err.print(f"[red]error:[/red] {exc.message}")
        for field, message in exc.fields.items():
            flag = FLAG_OF.get(field, field).replace("_", "-")
            err.print(f"  --{flag}: {message}")
        raise typer.Exit(code=2) from None
    finally:
        session.close()
        engine.dispose()


def cli_origin() -> Origin:
    return Origin(channel="cli", ip=socket.gethostname()[:64], user_agent=getpass.getuser())
