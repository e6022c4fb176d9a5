"""Engine, sessions and the declarative base.

SQLite is the embedded default (WAL, foreign keys, busy timeout); PostgreSQL is
production (psycopg 3). Services never commit: the request, CLI command or job
boundary does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    DateTime,
    Engine,
    Executable,
    MetaData,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from ketaclinic.kit.slots import pool_arguments
from ketaclinic.kit.time import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both databases (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def core_execute(
    db: Session, stmt: Executable, params: dict[str, Any]
) -> CursorResult[*tuple[Any, ...]]:
    """A statement that loads no entities (plain rows), run on the session's own
    connection and transaction: what ``db.execute`` does, less the ORM's work around
    each statement (about 20 µs of a hot read's CPU). Pending changes are flushed
    first, as ``db.execute`` would, so the rows include them."""
    db.flush()
    return db.connection().execute(stmt, params)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the pysqlite driver, decide when transactions begin, so
    # BEGIN and SAVEPOINT behave as on PostgreSQL (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A transaction starts DEFERRED: reading takes no lock (WAL readers never block
    # the writer), so a page, a report or a CP-SAT proposal does not hold up anyone.
    # The write lock is taken when the first write comes (see _sqlite_write_lock).
    conn.info[_WRITE_LOCKED] = False
    conn.exec_driver_sql("BEGIN")


_WRITE_LOCKED = "ketaclinic.sqlite_write_locked"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")


def _is_write(statement: str, context: Any) -> bool:
    if statement.lstrip()[:9].upper().startswith(_WRITES):
        return True
    # SELECT ... FOR UPDATE (SQLite has no row locks; the compiler drops the clause):
    # the caller means to write what it reads, so it reads under the write lock.
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _sqlite_write_lock(
    conn: Connection, cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    """Before the first write (or locking read) of a transaction: end its read-only
    part and begin again IMMEDIATE, which waits (busy_timeout) for the write lock.

    Upgrading a deferred transaction in place can fail at once with SQLITE_BUSY when
    another writer committed after our first read; a new IMMEDIATE transaction cannot,
    and nothing is lost because nothing was written yet. Reads before the lock saw the
    database as of their statement, as under PostgreSQL's READ COMMITTED; what must
    not change under a writer is read FOR UPDATE, as on PostgreSQL."""
    if conn.info.get(_WRITE_LOCKED, True) or not _is_write(statement, context):
        return
    raw = cursor.connection
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")
    conn.info[_WRITE_LOCKED] = True


def make_engine(database_url: str, *, slots: int | None = None, **kwargs: Any) -> Engine:
    """``slots``: requests this process serves at once; the pool holds as many
    connections, plus a few for short side transactions (kit.slots)."""
    url = make_url(database_url)
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if slots is not None and not in_memory:
        kwargs = {**pool_arguments(slots), **kwargs}
    if url.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_write_lock)
        return engine
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, **kwargs)
    event.listen(engine.pool, "checkin", _note_checkin)
    event.listen(engine.pool, "checkout", _ping_if_idle(engine))
    return engine


# A pooled connection idle this long is tested before use (the server may have closed
# it meanwhile: a restart, an idle timeout). One handed back a moment ago is used as it
# is: testing it on every checkout (``pool_pre_ping``) cost a round trip per request,
# and a connection that broke meanwhile makes SQLAlchemy discard the whole pool.
PING_AFTER_IDLE_S = 2.0
_CHECKED_IN = "ketaclinic.checked_in"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Any:
    dialect = engine.dialect

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_CHECKED_IN)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return  # new, or back in the pool a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and checks out another.
            raise DisconnectionError(str(exc)) from exc

    return ping


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that rolls back whatever its boundary did not commit."""
    session = factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def set_visible_clinics(session: Session, clinic_ids: list[int] | str) -> None:
    """Tell PostgreSQL's row-level security which clinics this transaction may see
    ("*" for system work). A second wall behind the repository's ``in_clinics``."""
    if session.get_bind().dialect.name != "postgresql":
        return
    value = clinic_ids if isinstance(clinic_ids, str) else ",".join(str(c) for c in clinic_ids)
    session.execute(
        text("SELECT set_config('ketaclinic.clinic_ids', :value, true)"), {"value": value}
    )
