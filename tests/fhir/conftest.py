"""The demo, committed in a database of this package's own, served by a live server
(uvicorn on a free port, as the browser tests do), and an API token that reads every
demo clinic."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from ketaclinic.app import create_app
from ketaclinic.auth.service import add_membership, create_api_token, create_user
from ketaclinic.clinics.models import Clinic
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
from ketaclinic.settings import Settings
from tests.conftest import PASSWORD
from tests.e2e.conftest import _free_port


@dataclass
class DemoServer:
    app: FastAPI
    base_url: str  # the live server, e.g. http://127.0.0.1:PORT
    token: str  # a prescriber in every demo clinic
    url: str  # the database's


@pytest.fixture(scope="module")
def demo(fresh_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    engine = make_engine(fresh_url)
    with make_sessionmaker(engine)() as db:
        set_visible_clinics(db, "*")
        load_demo(db, solve_seconds=1)
        clinics = list(db.scalars(select(Clinic).order_by(Clinic.id)))
        user = create_user(
            db,
            email="fhir.reader@demo.example.org",
            name="Frida Reader",
            password=PASSWORD,
            role="prescriber",
            clinic=clinics[0],
        )
        for clinic in clinics[1:]:
            add_membership(db, user, clinic, "prescriber")
        token = create_api_token(db, user, label="fhir tests")
        db.commit()
    settings = Settings(
        database_url=fresh_url,
        data_dir=tmp_path_factory.mktemp("fhir"),
        secret_key="fhir-secret",
        log_level="WARNING",
    )
    app = create_app(settings, engine=engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield DemoServer(app, f"http://127.0.0.1:{port}", token, fresh_url)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
