"""The deployment's clock: the wall clock unless a shift is stored (the demo's), and
then every process serves on it and every page says what time it reads."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.kit.clock_store import StoredClock, read_clock, store_clock
from ketaclinic.kit.time import clock_shift, to_local, utcnow


def test_it_reads_the_wall_clock_when_nothing_is_stored(
    session_factory: sessionmaker[Session],
) -> None:
    assert read_clock(session_factory()) == StoredClock()


def test_it_serves_on_the_stored_clock_and_says_so_on_every_page(
    app: FastAPI, db: Session, session_factory: sessionmaker[Session]
) -> None:
    back = timedelta(days=-2, hours=-3)
    store_clock(db, back, "America/Chicago", "The demo's clinic day")
    db.commit()
    stored = read_clock(session_factory())
    assert stored == StoredClock(back, "America/Chicago", "The demo's clinic day")
    wall = utcnow()
    with TestClient(app) as client:  # start-up reads the stored clock
        assert clock_shift() == back
        assert abs(utcnow() - (wall + back)) < timedelta(minutes=1)
        page = client.get("/login")
        shown = to_local(wall + back, "America/Chicago").strftime("%B %Y")
        assert "Demo clock:" in page.text and shown in page.text
    assert clock_shift() == timedelta(0)  # shut down: the process is back on the wall clock


def test_it_shows_no_demo_clock_on_a_real_deployment(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert "Demo clock" not in client.get("/login").text
