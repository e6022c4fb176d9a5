"""The job runner: huey's store chosen from the database URL, a job enqueued only when
the change that asked for it commits, and the minute's periodic job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import PostgresHuey, SqliteHuey
from sqlalchemy.orm import Session

from ketaclinic.kit import jobs
from ketaclinic.settings import Settings


@pytest.fixture
def memory() -> Iterator[jobs.Runner]:
    made = jobs.memory_runner(immediate=False)
    before = jobs.use_runner(made)
    yield made
    jobs.use_runner(before)


def test_it_keeps_the_queue_beside_the_sqlite_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'clinic.db'}", data_dir=tmp_path)
    kind, kwargs = jobs.queue_store(settings)
    assert kind is SqliteHuey and kwargs["filename"] == str(tmp_path / "clinic.db-jobs")


def test_it_keeps_the_queue_in_postgresql_in_a_schema_of_its_own() -> None:
    settings = Settings(database_url="postgresql+psycopg://app:pw@db.internal:5432/keta")
    kind, kwargs = jobs.queue_store(settings)
    assert kind is PostgresHuey
    assert kwargs["dsn"] == "postgresql://app:pw@db.internal:5432/keta"
    assert kwargs["options"] == "-c search_path=ketaclinic_jobs"


def test_it_enqueues_only_when_the_change_commits(db: Session, memory: jobs.Runner) -> None:
    jobs.enqueue_after_commit(db, "test.job")
    db.rollback()
    assert memory.huey.pending_count() == 0
    jobs.enqueue_after_commit(db, "test.job")
    jobs.enqueue_after_commit(db, "test.job")  # asked twice in one change: once
    db.commit()
    assert memory.huey.pending_count() == 1


def test_it_runs_every_registered_minute_job_even_when_one_fails() -> None:
    ran: list[str] = []

    @jobs.register("test.fails", every_minute=True)
    def fails() -> None:
        ran.append("fails")
        raise RuntimeError("boom")

    @jobs.register("test.works", every_minute=True)
    def works() -> None:
        ran.append("works")

    try:
        runner = jobs.memory_runner(immediate=True)
        runner.every_minute.call_local()
        assert ran == ["fails", "works"]
        runner.enqueue("test.works")  # immediate: runs at once
        assert ran == ["fails", "works", "works"]
    finally:
        for name in ("test.fails", "test.works"):
            jobs.JOBS.pop(name, None)
            jobs.EVERY_MINUTE.remove(name)


def test_it_queues_on_this_passs_database(fresh_url: str, tmp_path: Path) -> None:
    """A real store: SqliteHuey's file or PostgresHuey's tables (made by huey in the
    schema the migration made)."""
    kind, kwargs = jobs.queue_store(Settings(database_url=fresh_url, data_dir=tmp_path))
    huey = kind(name=f"test-{tmp_path.name}", results=False, **kwargs)
    runner = jobs.Runner(huey)
    try:
        runner.enqueue("test.nothing")
        assert huey.pending_count() == 1
        huey.flush()
    finally:
        if hasattr(huey.storage, "close"):
            huey.storage.close()
