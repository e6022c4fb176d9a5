"""The clinic board: how long does one 15-second poll take?

Workload: the demo loaded into a fresh SQLite file (or the empty database given by
``--database-url``), then ``GET /api/v1/board`` for Lakeside's nurse, ``--repeats``
times after one warm-up, through the whole app (auth, audit record, JSON). The
board reads every visit of the day and each session's chart, so the figures that
matter are the visits on the board, the queries per poll and the time per poll.

Prints one JSON line (``bench``, ``database``, ``visits``, ``in_chairs``,
``queries_per_poll``, ``median_ms``, ``p95_ms``, ``max_ms``), then a table.
Times are ``time.perf_counter`` around the request in-process (no network).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import event

from ketaclinic.app import create_app
from ketaclinic.auth.service import create_api_token, get_user_by_email
from ketaclinic.demo.loader import load_demo
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.migrate import upgrade
from ketaclinic.settings import Settings

NURSE = "nurse@lakeside.example.org"


def _loaded(url: str) -> str:
    """Migrate and load the demo; an API token for the nurse."""
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        load_demo(db)
        token = create_api_token(db, get_user_by_email(db, NURSE), label="bench")
        db.commit()
    engine.dispose()
    return token


def run(url: str, data_dir: Path, repeats: int) -> dict[str, object]:
    token = _loaded(url)
    app = create_app(Settings(database_url=url, data_dir=data_dir, log_level="WARNING"))
    queries = [0]

    def count(*_args: object, **_kwargs: object) -> None:
        queries[0] += 1

    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        board = client.get("/api/v1/board")
        board.raise_for_status()
        engine = app.state.engine
        event.listen(engine, "before_cursor_execute", count)
        walls_ms = []
        for _ in range(repeats):
            started = time.perf_counter()
            client.get("/api/v1/board").raise_for_status()
            walls_ms.append((time.perf_counter() - started) * 1000)
        event.remove(engine, "before_cursor_execute", count)
    body = board.json()
    walls_ms.sort()
    return {
        "bench": "board_poll",
        "database": make_engine(url).dialect.name,
        "visits": len(body["visits"]),
        "in_chairs": sum(1 for row in body["chairs"] if row["now"] is not None),
        "repeats": repeats,
        "queries_per_poll": round(queries[0] / repeats, 1),
        "median_ms": round(statistics.median(walls_ms), 1),
        "p95_ms": round(walls_ms[min(len(walls_ms) - 1, int(0.95 * len(walls_ms)))], 1),
        "max_ms": round(walls_ms[-1], 1),
    }


def table(figures: dict[str, object]) -> Table:
    result = Table(title=f"board_poll: the demo day on {figures['database']}")
    result.add_column("figure")
    result.add_column("value", justify="right")
    for key in ("visits", "in_chairs", "queries_per_poll", "median_ms", "p95_ms", "max_ms"):
        result.add_row(key, str(figures[key]))
    result.caption = (
        f"{figures['repeats']} polls after one warm-up; {os.cpu_count()} CPUs, "
        f"{platform.machine()}, Python {platform.python_version()}"
    )
    return result


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench board",
        description="Time one poll of the clinic board over the demo day.",
    )
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument(
        "--database-url", help="An empty database for the demo (default: a new SQLite file)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    with tempfile.TemporaryDirectory(prefix="ketaclinic-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'board.db'}"
        figures = run(url, Path(tmp), args.repeats)
    print(json.dumps(figures), flush=True)
    Console().print(table(figures))
