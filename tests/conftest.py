"""Test fixtures: a real, migrated database (SQLite or PostgreSQL) and personas.

Choose the database with KETACLINIC_TEST_DB=sqlite (default) or postgresql. The
PostgreSQL pass creates a fresh database on the local server and drops it after;
when the server cannot be reached the pass is skipped locally and fails in CI.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.app import create_app
from ketaclinic.auth.models import User
from ketaclinic.auth.service import create_api_token, create_user
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_engine
from ketaclinic.kit.migrate import upgrade
from ketaclinic.kit.time import set_clock_shift
from ketaclinic.settings import Settings

PG_ADMIN_URL = os.environ.get(
    "KETACLINIC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct horse battery staple"
CLINIC_TZ = "America/Chicago"  # the test clinic's zone: "today" in tests is its date


# ---- the suite's clock -------------------------------------------------------
# Every test runs on a clock set by a time-travel library, never the wall clock:
# KETACLINIC_TEST_CLOCK (an ISO time with its offset) or a plain weekday afternoon
# at the test clinic. The clock ticks from there, so durations still pass. `make
# test` runs the time-sensitive tests again at bad hours (Makefile: test-clocks).
DEFAULT_TEST_CLOCK = "2026-12-09T14:05:00-06:00"  # a Wednesday, 14:05 in Chicago


def suite_clock() -> datetime:
    return datetime.fromisoformat(os.environ.get("KETACLINIC_TEST_CLOCK") or DEFAULT_TEST_CLOCK)


# Set when this file is imported, the first of the conftests: before any test module
# or other conftest is imported, so module-level "now"s read the suite's clock too.
_traveller = time_machine.travel(suite_clock(), tick=True)
_traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    _traveller.stop()


def pytest_report_header(config: pytest.Config) -> str:
    return f"KetaClinic suite clock: {suite_clock().isoformat()}"


@pytest.fixture(autouse=True)
def _wall_clock_after_each_test() -> Iterator[None]:
    """A test that runs on the demo's clock (tests/test_cli.py::_demo) leaves none behind."""
    yield
    set_clock_shift(timedelta(0))


def _backend() -> str:
    return os.environ.get("KETACLINIC_TEST_DB", "sqlite")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session", autouse=True)
def _quick_argon2() -> Iterator[None]:
    """Real Argon2id, at a test-sized cost: the suite hashes a password for every
    persona of every test, and production cost (64 MiB, 3 passes) would dominate it.
    Hashes made here still verify under production parameters and vice versa."""
    from argon2 import PasswordHasher

    from ketaclinic.auth import passwords

    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    yield
    passwords._hasher = production


@contextmanager
def _postgres_database(prefix: str) -> Iterator[str]:
    """A new database on the local server, dropped afterwards. Unreachable: the test
    fails in CI and is skipped on a developer's machine without PostgreSQL."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _backend() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    with _postgres_database("ketaclinic_test") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One connection in an outer transaction that is rolled back after the test;
    commits inside become savepoints, so every test starts from the migrated schema."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="test-secret-key",
        log_json=True,
        log_level="WARNING",
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]) -> FastAPI:
    app = create_app(settings, engine=engine)
    app.state.sessionmaker = session_factory
    return app


# ---- personas ---------------------------------------------------------------


@dataclass
class Persona:
    user: User
    token: str
    clinic: Clinic

    @property
    def email(self) -> str:
        return self.user.email


@pytest.fixture
def clinic(db: Session) -> Clinic:
    return create_clinic(db, slug="lakeside", name="Lakeside Ketamine", timezone=CLINIC_TZ)


@pytest.fixture
def other_clinic(db: Session) -> Clinic:
    return create_clinic(
        db, slug="hillcrest", name="Hillcrest Infusions", timezone="America/Denver"
    )


def _persona(db: Session, role: str, clinic: Clinic, name: str) -> Persona:
    email = f"{name.split()[0].lower()}.{role}@{clinic.slug}.example.org"
    user = create_user(db, email=email, name=name, password=PASSWORD, role=role, clinic=clinic)
    token = create_api_token(db, user, label="tests")
    db.commit()
    return Persona(user=user, token=token, clinic=clinic)


@pytest.fixture
def admin(db: Session, clinic: Clinic) -> Persona:
    return _persona(db, "admin", clinic, "Ada Admin")


@pytest.fixture
def prescriber(db: Session, clinic: Clinic) -> Persona:
    return _persona(db, "prescriber", clinic, "Pat Prescriber")


@pytest.fixture
def nurse(db: Session, clinic: Clinic) -> Persona:
    return _persona(db, "nurse", clinic, "Nia Nurse")


@pytest.fixture
def front_desk(db: Session, clinic: Clinic) -> Persona:
    return _persona(db, "front_desk", clinic, "Fran Desk")


@pytest.fixture
def custodian(db: Session, clinic: Clinic) -> Persona:
    return _persona(db, "custodian", clinic, "Cy Custodian")


@pytest.fixture
def outsider(db: Session, other_clinic: Clinic) -> Persona:
    """A nurse of another clinic: the right role in the wrong place."""
    return _persona(db, "nurse", other_clinic, "Oona Outsider")


@pytest.fixture
def two_clinic_nurse(db: Session, clinic: Clinic, other_clinic: Clinic) -> Persona:
    """A nurse who works in both clinics (and so must say which one a page is about)."""
    from ketaclinic.auth.service import add_membership

    persona = _persona(db, "nurse", clinic, "Tess Twoclinics")
    add_membership(db, persona.user, other_clinic, "nurse")
    db.commit()
    return persona


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def api(app: FastAPI) -> Iterator[Callable[[Persona], TestClient]]:
    """api(persona) -> a client that sends that persona's bearer token."""
    clients: list[TestClient] = []

    def make(persona: Persona) -> TestClient:
        c = TestClient(app, headers={"Authorization": f"Bearer {persona.token}"})
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture(scope="module")
def fresh_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own, migrated, for tests that commit for real from many
    connections (concurrency, crashes); dropped after the module."""
    if _backend() == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fresh') / 'fresh.db'}"
        upgrade(url)
        yield url
        return
    with _postgres_database("ketaclinic_fresh") as url:
        upgrade(url)
        yield url
