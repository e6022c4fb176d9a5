"""The job runner: huey, on the database the deployment already has.

Why huey: one task API with a SQLite store (``SqliteHuey``, a file beside the SQLite
database) and a PostgreSQL store (``PostgresHuey`` over psycopg 3, tables in the same
database), so neither deployment needs a broker; its consumer runs the periodic tasks
too. Chosen from ``KETACLINIC_DATABASE_URL``.

Huey cannot join our transaction, so a change that causes work writes an outbox row in
its own transaction (e.g. ``notifications.service.queue``) and asks for a job with
``enqueue_after_commit``: the job is enqueued only if that transaction commits. A
periodic job every minute also does whatever is due, so nothing is lost when an enqueue
is (the process died between commit and enqueue, the queue was unreachable).

Jobs are named functions taking no arguments, registered by the modules that define
them (``register``); the worker imports those modules before it starts. The task huey
knows is one: ``run_job(name)``. Each job opens its own session on the deployment's
clock (``job_session``) and commits where it says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, PostgresHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ketaclinic.kit.clock_store import read_clock
from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
from ketaclinic.kit.time import shifted_clock
from ketaclinic.settings import Settings, get_settings

log = logging.getLogger(__name__)

JOBS_SCHEMA = "ketaclinic_jobs"
JOBS: dict[str, Callable[[], object]] = {}
EVERY_MINUTE: list[str] = []
_PENDING = "ketaclinic.jobs_after_commit"


def register(name: str, *, every_minute: bool = False) -> Callable[[Callable[[], object]], Any]:
    """Make ``fn`` a job called ``name`` (and run it every minute if asked)."""

    def decorate(fn: Callable[[], object]) -> Callable[[], object]:
        JOBS[name] = fn
        if every_minute and name not in EVERY_MINUTE:
            EVERY_MINUTE.append(name)
        return fn

    return decorate


def queue_store(settings: Settings) -> tuple[type[Huey], dict[str, Any]]:
    """Which huey and its arguments for this deployment's database."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        # Huey's own tables live in a schema of their own (made by migration 0021), out
        # of the way of the application's schema and its migrations.
        return PostgresHuey, {"dsn": dsn, "options": f"-c search_path={JOBS_SCHEMA}"}
    if settings.jobs_sqlite_path is not None:
        path = settings.jobs_sqlite_path
    elif url.database and url.database != ":memory:":
        database = Path(url.database)
        path = database.with_name(database.name + "-jobs")
    else:
        path = settings.data_dir / "jobs.db"
    return SqliteHuey, {"filename": str(path)}


class Runner:
    """One huey and the one task it runs (``run_job``) plus the minute's periodic task."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey

        def run_job(name: str) -> None:
            job = JOBS.get(name)
            if job is None:
                log.warning("no job called %s in this process", name)
                return
            job()

        def every_minute() -> None:
            for name in list(EVERY_MINUTE):
                try:
                    run_job(name)
                except Exception:  # one job's failure must not stop the others
                    log.exception("job %s failed", name)

        self.run_job: TaskWrapper = huey.task(name="run_job")(run_job)
        self.every_minute: TaskWrapper = huey.periodic_task(crontab(minute="*"), name="minute")(
            every_minute
        )

    def enqueue(self, name: str) -> None:
        self.run_job(name)


_runner: Runner | None = None
_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Say which deployment this process enqueues for (the app and the worker do, at
    start-up); the queue itself is opened on the first enqueue. A process that never
    configured enqueues nothing: the minute's job delivers what it wrote."""
    global _settings
    _settings = settings


def runner() -> Runner | None:
    """This process's runner, made on first use from the configured settings."""
    global _runner
    if _runner is None and _settings is not None:
        kind, kwargs = queue_store(_settings)
        _runner = Runner(kind(name="ketaclinic", results=False, **kwargs))
    return _runner


def use_runner(made: Runner | None) -> Runner | None:
    """Put another runner in place (tests: an immediate ``MemoryHuey``); the old one back."""
    global _runner
    before, _runner = _runner, made
    return before


def memory_runner(immediate: bool = True) -> Runner:
    return Runner(MemoryHuey(name="ketaclinic", results=False, immediate=immediate))


def enqueue_after_commit(db: Session, name: str) -> None:
    """Enqueue job ``name`` when ``db``'s transaction commits (never if it rolls back).
    An enqueue that fails is logged, not raised: the minute's job catches up."""
    pending: set[str] = db.info.setdefault(_PENDING, set())
    pending.add(name)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    names = session.info.pop(_PENDING, set())
    for name in sorted(names):
        try:
            found = runner()
            if found is not None:
                found.enqueue(name)
        except Exception:
            log.exception("could not enqueue %s; the periodic job will do it", name)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@contextmanager
def job_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session for a job: system work (every clinic visible to row-level security),
    on the deployment's clock (the demo's shifted clock too). The job commits."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    clock = read_clock(sessions())
    session = sessions()
    see_every_clinic(session)
    try:
        with shifted_clock(clock.shift):
            set_visible_clinics(session, "*")
            yield session
            session.commit()
    finally:
        session.close()
        engine.dispose()


def see_every_clinic(session: Session) -> None:
    """Every transaction of ``session`` sees every clinic (PostgreSQL row-level
    security), not only its first: a job commits as it goes."""
    if session.get_bind().dialect.name == "postgresql":
        event.listen(session, "after_begin", _every_clinic)


def _every_clinic(_session: Session, _transaction: Any, connection: Connection) -> None:
    connection.execute(text("SELECT set_config('ketaclinic.clinic_ids', '*', true)"))


def run_consumer(workers: int = 2) -> None:
    """Run huey's consumer (jobs and the minute's periodic task) until stopped."""
    found = runner()
    if found is None:
        raise RuntimeError("kit.jobs.configure(settings) first")
    consumer = found.huey.create_consumer(workers=workers, periodic=True)
    consumer.run()
