"""``make stress``: crash safety under write load (issue 17, point 13).

Loads the demo into a fresh database (a SQLite file, or a new database on the
PostgreSQL server given with ``--database postgresql://…``), serves it with
``ketaclinic serve`` in a subprocess and drives concurrent writes through the JSON
API as the demo's nurse (an API token): ledger draws (``POST /api/v1/ledger/draws``)
and batches of vital signs for the sessions in the chair (``POST
/api/v1/sessions/{id}/vitals``). ``--kills`` times, at random moments, the server is
killed with SIGKILL and started again while the writers keep trying.

A write is *acknowledged* when it got a 2xx. At the end, read straight from the
database: every acknowledged draw is there with its amount and patient, every
acknowledged batch has all its readings, and no batch (acknowledged or cut off by a
kill) has some of its readings but not all. Then ``ketaclinic audit verify`` and
``ketaclinic ledger verify`` must pass. Prints one JSON line (``"bench": "stress"``)
and a table; exits 1 when a write was lost, a batch was half written or a verify
failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

from bench.fuzz import _database, _demo_with_tokens

BATCH = 5  # readings per vital-sign batch: stored all together or not at all
IN_CHAIR = {"checked_in", "prechecked", "dose_released", "administering", "paused", "observing"}
DRAW_MG = "0.010"


class Server:
    """``ketaclinic serve`` in a subprocess that can be killed and started again."""

    def __init__(self, url: str, folder: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "KETACLINIC_DATABASE_URL": url,
            "KETACLINIC_DATA_DIR": str(folder),
            "KETACLINIC_LOG_LEVEL": "ERROR",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start and wait until ``/healthz`` answers; the seconds it took."""
        started = time.monotonic()
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "ketaclinic.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while True:
            try:
                httpx2.get(f"{self.base}/healthz", timeout=2).raise_for_status()
                return time.monotonic() - started
            except httpx2.HTTPError:
                if time.monotonic() - started > 90 or self.process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@dataclass
class Tally:
    """What the writers were told. ``uncertain``: sent, but the server died before it
    answered (such a write may or may not be stored; it must not be half stored)."""

    draws: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (patient, µg)
    batches_acked: list[tuple[int, str]] = field(default_factory=list)  # (session, prefix)
    batches_tried: list[tuple[int, str]] = field(default_factory=list)
    uncertain: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Targets:
    containers: list[int]
    patients: list[int]
    sessions: dict[int, datetime]  # session id -> checked in at


def _targets(base: str, token: str) -> Targets:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=base, headers=headers, timeout=30) as client:
        board = client.get("/api/v1/board").raise_for_status().json()
        stock = client.get("/api/v1/ledger/stock").raise_for_status().json()["items"]
        sessions: dict[int, datetime] = {}
        for visit in board["visits"]:
            if visit["session_id"] and visit["state"] in IN_CHAIR:
                detail = client.get(f"/api/v1/sessions/{visit['session_id']}").json()
                sessions[visit["session_id"]] = datetime.fromisoformat(detail["checked_in_at"])
    containers = [c["id"] for c in stock if float(c["on_hand_mg"]) >= 10]
    patients = sorted({v["patient_id"] for v in board["visits"]})
    if not (containers and patients and sessions):
        raise RuntimeError("the demo has no stock, patients or sessions in the chair")
    return Targets(containers, patients, sessions)


def _readings(prefix: str, first: datetime) -> list[dict[str, Any]]:
    """One batch of unremarkable readings (no alert), a microsecond apart."""
    return [
        {
            "id": f"{prefix}{i}",
            "taken_at": (first + timedelta(microseconds=i)).isoformat(),
            "systolic": 118,
            "diastolic": 76,
            "heart_rate": 70,
            "spo2": 98,
            "respiratory_rate": 14,
        }
        for i in range(BATCH)
    ]


def _writer(
    number: int, base: str, token: str, targets: Targets, tally: Tally, until: float
) -> None:
    rng = random.Random(number)  # noqa: S311 - load, not secrets
    headers = {"Authorization": f"Bearer {token}"}
    sent = 0
    with httpx2.Client(base_url=base, headers=headers, timeout=30) as client:
        while time.monotonic() < until:
            sent += 1
            if sent % 2:
                kind = "draw"
                patient = rng.choice(targets.patients)
                body: dict[str, Any] = {
                    "container_id": rng.choice(targets.containers),
                    "patient_id": patient,
                    "amount_mg": DRAW_MG,
                }
                path = "/api/v1/ledger/draws"
            else:
                kind = "vitals"
                session = rng.choice(list(targets.sessions))
                prefix = f"stress-{number}-{sent}-"
                first = targets.sessions[session] + timedelta(milliseconds=sent)
                body = {"device": "stress", "readings": _readings(prefix, first)}
                path = f"/api/v1/sessions/{session}/vitals"
                with tally.lock:
                    tally.batches_tried.append((session, prefix))
            try:
                answer = client.post(path, json=body)
            except httpx2.ConnectError:
                time.sleep(0.05)  # the server is down or restarting: nothing was sent
                continue
            except httpx2.TransportError:
                with tally.lock:  # sent, but no answer: it may or may not have landed
                    tally.uncertain[kind] += 1
                continue
            with tally.lock:
                if not answer.is_success:
                    tally.refused[f"{kind} {answer.status_code}"] += 1
                elif kind == "draw":
                    tally.draws[answer.json()["id"]] = (patient, 10)
                elif answer.json()["accepted"] == BATCH:
                    tally.batches_acked.append((session, prefix))
                else:
                    tally.refused["vitals partial answer"] += 1


def _check(url: str, tally: Tally) -> dict[str, int]:
    """Read the database directly (as the owner: RLS does not hide rows from it)."""
    engine = create_engine(make_url(url).set(drivername=_driver(url)))
    with engine.connect() as conn:
        stored = {
            row.id: (row.patient_id, row.amount_ug)
            for row in conn.execute(
                text(
                    "SELECT id, patient_id, amount_ug FROM cs_entries "
                    "WHERE kind = 'draw' AND id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": list(tally.draws) or [0]},
            )
        }
        readings = Counter(
            (row.session_id, row.reading_key.rsplit("-", 1)[0] + "-")
            for row in conn.execute(
                text(
                    "SELECT session_id, reading_key FROM vital_readings "
                    "WHERE reading_key LIKE 'stress-%'"
                )
            )
        )
        stress_draws = conn.execute(
            text("SELECT count(*) FROM cs_entries WHERE kind = 'draw' AND amount_ug = 10")
        ).scalar_one()
    engine.dispose()
    draws_found = sum(1 for i, want in tally.draws.items() if stored.get(i) == want)
    batches_found = sum(1 for b in tally.batches_acked if readings.get(b) == BATCH)
    half = sum(1 for n in readings.values() if n != BATCH)
    acked = len(tally.draws) + len(tally.batches_acked)
    found = draws_found + batches_found
    return {
        "draws_acknowledged": len(tally.draws),
        "draws_found": draws_found,
        "draws_stored_total": stress_draws,
        "batches_acknowledged": len(tally.batches_acked),
        "batches_found": batches_found,
        "batches_stored_total": len(readings),
        "acknowledged": acked,
        "found": found,
        "lost": acked - found,
        "half_written_batches": half,
    }


def _driver(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql+psycopg"


def _verify(server: Server, command: str) -> bool:
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "ketaclinic.cli", command, "verify"],
        env=server.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        print(f"{command} verify failed:\n{done.stdout}{done.stderr}", file=sys.stderr)
    return done.returncode == 0


def run(url: str, folder: Path, seconds: float, kills: int, writers: int) -> dict[str, Any]:
    token = _demo_with_tokens(url)["nurse"]
    server = Server(url, folder)
    starts = [server.start()]
    try:
        targets = _targets(server.base, token)
        tally = Tally()
        began = time.monotonic()
        until = began + seconds
        threads = [
            threading.Thread(
                target=_writer, args=(n, server.base, token, targets, tally, until), daemon=True
            )
            for n in range(writers)
        ]
        for t in threads:
            t.start()
        rng = random.Random(seconds * 1000 + kills)  # noqa: S311 - load, not secrets
        moments = sorted(rng.uniform(0.1, 0.9) * seconds for _ in range(kills))
        for at in moments:
            time.sleep(max(0.0, began + at - time.monotonic()))
            server.kill()
            starts.append(server.start())
        for t in threads:
            t.join()
        # One last kill -9 after the load: nothing acknowledged may depend on a clean stop.
        server.kill()
        counts = _check(url, tally)
        starts.append(server.start())
        verifies = {"audit": _verify(server, "audit"), "ledger": _verify(server, "ledger")}
    finally:
        server.stop()
    return {
        "bench": "stress",
        "database": make_url(url).get_backend_name(),
        "seconds": seconds,
        "writers": writers,
        "kills": kills + 1,
        **counts,
        "uncertain": dict(tally.uncertain),
        "refused": dict(tally.refused),
        "restart_s_max": round(max(starts[1:] or [0.0]), 2),
        "verifies": verifies,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stress", description=__doc__)
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite (default) or a PostgreSQL admin URL to create a scratch database on",
    )
    parser.add_argument("--seconds", type=float, default=30, help="how long to write")
    parser.add_argument("--kills", type=int, default=3, help="kill -9 during the load")
    parser.add_argument("--writers", type=int, default=4, help="concurrent writers")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="ketaclinic-stress-") as tmp,
        _database(args.database, Path(tmp)) as url,
    ):
        row = run(url, Path(tmp), args.seconds, args.kills, args.writers)
    print(json.dumps(row), flush=True)
    print()
    for key, value in row.items():
        if key != "bench":
            print(f"{key:<24}{value}")
    bad = row["lost"] or row["half_written_batches"] or not all(row["verifies"].values())
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
