"""``make bench-api``: the JSON API under load on PostgreSQL, against a bare stack.

Workload: a scratch database on the PostgreSQL server given with ``--database`` (an
admin URL), migrated, with one clinic, a nurse with an API token and ``--patients``
patients (64,000 by default, bulk-loaded with COPY: valid MRNs, two body
measurements, a diagnosis and a medication each). The app connects as a plain role
made for the run, as production must (a superuser would bypass row-level security).
One uvicorn process serves ``ketaclinic.asgi:app``; a load generator in another
process (``bench.load``) keeps ``concurrency`` keep-alive connections busy for
``--seconds`` per cell after a warm-up: chart read (``GET /api/v1/patients/{id}``,
random ids), name search (``GET /api/v1/patients?q=<family name>``), board poll
(``GET /api/v1/board``) and ``/healthz``. The same cells run against
``bench.bare_app`` (Starlette + psycopg doing the same SQL).

``--baseline-src DIR`` (a source tree, e.g. ``git archive <commit> src | tar -x``)
runs that tree's app first, on the schema of its own newest migration, then
upgrades the database and runs the working tree's: before and after in one run.

Prints one JSON line per cell (``"bench": "api"``, ``stack``, ``endpoint``,
``concurrency``, ``rps``, ``p50_ms``, ``p95_ms``, ``bare_rps``, ``ratio``; with a
baseline also ``baseline_rps`` and ``baseline_p50_ms``), then a table. ``cpu_ms`` is
the server process's CPU time per request (user and system, warm-up included): on a
machine shared with other work it moves far less than the request rate. ``load1``
is the machine's one-minute load average while the cell ran. ``--repeat N`` runs
every cell N times, interleaved, and reports the medians.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ("chart", "search", "board", "healthz")
GIVEN = [
    "Ada",
    "Ben",
    "Cara",
    "Dev",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivo",
    "Jude",
    "Kai",
    "Lena",
    "Milo",
    "Nia",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sami",
    "Tess",
    "Uma",
    "Vic",
    "Wren",
    "Yara",
]
SYLLABLES = [
    "bar",
    "cor",
    "del",
    "fen",
    "gar",
    "hol",
    "kin",
    "lam",
    "mor",
    "nes",
    "pel",
    "quist",
    "ros",
    "sten",
    "tal",
    "ver",
    "wick",
    "yor",
]


def _family_names() -> list[str]:
    """A few thousand distinct surnames, so a search matches a few dozen of 64,000."""
    return sorted(
        {
            (a + b + c).capitalize()
            for a in SYLLABLES
            for b in SYLLABLES
            for c in ("", "s", "son", "ton")
        }
    )


def _mrn(n: int) -> str:
    from ketaclinic.clinical.checkdigits import luhn_digit

    body = f"{1_000_000 + n}"
    return f"KC{body}{luhn_digit(body)}"


@contextmanager
def _scratch(admin: str) -> Iterator[tuple[URL, URL]]:
    """A new database and a plain login role; (owner URL, app URL)."""
    admin_url = make_url(admin).set(drivername="postgresql+psycopg")
    suffix = secrets.token_hex(4)
    name, role = f"ketaclinic_bench_api_{suffix}", f"ketaclinic_bench_app_{suffix}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    owner = admin_url.set(database=name)
    try:
        yield owner, owner.set(username=role, password=None)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        engine.dispose()


def _grant(owner: URL, role: str) -> None:
    engine = create_engine(owner, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    engine.dispose()


def _seed(owner: URL, patients: int) -> tuple[str, int]:
    """Clinic, nurse, token through the services; patients by COPY. (token, clinic)."""
    from ketaclinic.auth.service import create_api_token, create_user
    from ketaclinic.clinics.service import create_clinic
    from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
    from ketaclinic.kit.time import utcnow

    url = owner.render_as_string(hide_password=False)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        set_visible_clinics(db, "*")
        clinic = create_clinic(db, slug="bench", name="Bench", timezone="America/Chicago")
        nurse = create_user(
            db,
            email="nurse@bench.example.org",
            name="Bench Nurse",
            password=secrets.token_urlsafe(16),
            role="nurse",
            clinic=clinic,
        )
        token = create_api_token(db, nurse, label="bench-api")
        clinic_id = clinic.id
        db.commit()
    engine.dispose()
    rng = random.Random(64)  # noqa: S311 - synthetic data
    families = _family_names()
    now = utcnow()
    people, body, dx, meds = io.StringIO(), io.StringIO(), io.StringIO(), io.StringIO()
    for n in range(1, patients + 1):
        given, family = rng.choice(GIVEN), rng.choice(families)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(60 * 365))
        people.write(
            f"{n}\t{clinic_id}\t{_mrn(n)}\t{given}\t{family}\t"
            f"{given.lower()} {family.lower()}\t{born}\tfemale\tactive\t{now}\t{now}\n"
        )
        for days in (200, 20):
            body.write(
                f"{n}\t{now - timedelta(days=days)}\t{rng.randint(50, 120)}.0\t"
                f"{rng.randint(150, 195)}.0\t{now}\n"
            )
        dx.write(f"{n}\tF33.2\tMajor depressive disorder, recurrent severe\tt\t{now}\n")
        meds.write(f"{n}\tSertraline\t100 mg daily\tt\t{now}\n")
    loads = (
        (
            "patients (id, clinic_id, mrn, given_name, family_name, search_name, birth_date, "
            "sex_at_birth, status, created_at, updated_at)",
            people,
        ),
        ("body_measurements (patient_id, measured_at, weight_kg, height_cm, recorded_at)", body),
        ("diagnoses (patient_id, code, label, active, recorded_at)", dx),
        ("medications (patient_id, name, dose, active, recorded_at)", meds),
    )
    with psycopg.connect(owner.set(drivername="postgresql").render_as_string(False)) as conn:
        conn.execute("SELECT set_config('ketaclinic.clinic_ids', '*', false)")
        for table, rows in loads:
            with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(rows.getvalue())
        conn.execute("SELECT setval('patients_id_seq', %s)", (patients,))
        conn.execute("ANALYZE")
    return token, clinic_id


class Served:
    """One uvicorn process serving ``app`` from the source tree ``src``."""

    def __init__(self, app: str, src: Path, env: dict[str, str], py_spy: str = "") -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.spied = bool(py_spy)
        # py-spy (dev extra) samples the server; raw: collapsed stacks, one per line.
        spy = (
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--nonblocking",  # pausing the server 200 times a second halves its speed
                "--format",
                "raw",
                "--rate",
                "200",
                "-o",
                py_spy,
                "--",
            ]
            if py_spy
            else []
        )
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [
                *spy,
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env={**os.environ, **env, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"},
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx2.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).raise_for_status()
                return
            except httpx2.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.2)

    def cpu_seconds(self) -> float | None:
        """The server's CPU time so far (None when py-spy runs it: another process)."""
        if self.spied:
            return None
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return None
        # utime and stime: the 14th and 15th fields, in clock ticks.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
        self.process.wait(timeout=60)


def _paths(endpoint: str, patients: int) -> list[str]:
    rng = random.Random(endpoint)  # noqa: S311 - load, not secrets
    if endpoint == "chart":
        return [f"/api/v1/patients/{rng.randint(1, patients)}" for _ in range(2000)]
    if endpoint == "search":
        return [f"/api/v1/patients?q={rng.choice(_family_names()).lower()}" for _ in range(500)]
    if endpoint == "board":
        return ["/api/v1/board"]
    return ["/healthz"]


def _load(served: Served, token: str, paths: list[str], concurrency: int, seconds: float) -> Any:
    job = {
        "port": served.port,
        "token": token,
        "paths": paths,
        "concurrency": concurrency,
        "seconds": seconds,
        "warmup_s": min(1.0, seconds / 4),
    }
    cpu_before = served.cpu_seconds()
    done = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    cpu_after = served.cpu_seconds()
    figures: dict[str, Any] = json.loads(done.stdout)
    figures["load1"] = os.getloadavg()[0]
    figures["cpu_ms"] = (
        round((cpu_after - cpu_before) * 1000 / figures["served"], 2)
        if cpu_before is not None and cpu_after is not None and figures["served"]
        else None
    )
    return figures


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs of one cell."""
    out: dict[str, Any] = {}
    for key in ("rps", "p50_ms", "p95_ms", "cpu_ms", "load1"):
        values = [r[key] for r in runs if r.get(key) is not None]
        out[key] = round(statistics.median(values), 2) if values else None
    out["errors"] = sum(r["errors"] for r in runs)
    return out


@contextmanager
def _prepared(admin: str, revision: str, patients: int) -> Iterator[tuple[URL, str]]:
    """A scratch database at ``revision`` with the seed; (the app's URL, token)."""
    from ketaclinic.kit.migrate import upgrade

    with _scratch(admin) as (owner, app_url):
        upgrade(owner.render_as_string(hide_password=False), revision)
        token, _ = _seed(owner, patients)
        _grant(owner, str(app_url.username))
        yield app_url, token


def _env(app_url: URL, data_dir: str) -> dict[str, str]:
    bare = app_url.set(drivername="postgresql")
    return {
        "KETACLINIC_DATABASE_URL": app_url.render_as_string(hide_password=False),
        "KETACLINIC_LOG_LEVEL": "WARNING",
        "KETACLINIC_DATA_DIR": data_dir,
        "KETACLINIC_BARE_DSN": bare.render_as_string(hide_password=False),
    }


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every stack is served at once (an idle one costs nothing) and each cell runs
    on them one after the other, so a neighbour's load on a shared machine falls on
    all of them alike. The baseline has its own database, at its own schema."""
    levels = [int(c) for c in args.concurrency.split(",")]
    endpoints = args.endpoints.split(",")
    figures: dict[str, dict[tuple[str, int], Any]] = {}
    with ExitStack() as stack:
        stacks: dict[str, tuple[Served, str]] = {}

        def serve(name: str, app: str, src: Path, url: URL, token: str, spy: str = "") -> None:
            served = Served(app, src, _env(url, args.data_dir), spy)
            stack.callback(served.stop)
            stacks[name] = (served, token)

        if args.baseline_src:
            revision = args.baseline_revision
            url, token = stack.enter_context(_prepared(args.database, revision, args.patients))
            serve("baseline", "ketaclinic.asgi:app", Path(args.baseline_src).resolve(), url, token)
        url, token = stack.enter_context(_prepared(args.database, "head", args.patients))
        serve("now", "ketaclinic.asgi:app", ROOT / "src", url, token, args.py_spy)
        serve("bare", "bench.bare_app:app", ROOT / "src", url, token)
        runs: dict[str, dict[tuple[str, int], list[Any]]] = {}
        for _ in range(args.repeat):
            for endpoint in endpoints:
                paths = _paths(endpoint, args.patients)
                for level in levels:
                    for name, (served, token) in stacks.items():
                        runs.setdefault(name, {}).setdefault((endpoint, level), []).append(
                            _load(served, token, paths, level, args.seconds)
                        )
        for name, cells in runs.items():
            figures[name] = {cell: _median(found) for cell, found in cells.items()}
    rows = []
    for (endpoint, concurrency), now in figures["now"].items():
        bare = figures["bare"][(endpoint, concurrency)]
        row = {
            "bench": "api",
            "database": "postgresql",
            "patients": args.patients,
            "endpoint": endpoint,
            "concurrency": concurrency,
            "rps": now["rps"],
            "p50_ms": now["p50_ms"],
            "p95_ms": now["p95_ms"],
            "errors": now["errors"],
            "cpu_ms": now["cpu_ms"],
            "bare_rps": bare["rps"],
            "bare_p50_ms": bare["p50_ms"],
            "bare_cpu_ms": bare["cpu_ms"],
            "load1": now["load1"],
            "ratio": round(now["rps"] / bare["rps"], 2) if bare["rps"] else None,
        }
        if "baseline" in figures:
            before = figures["baseline"][(endpoint, concurrency)]
            row |= {
                "baseline_rps": before["rps"],
                "baseline_p50_ms": before["p50_ms"],
                "baseline_cpu_ms": before["cpu_ms"],
                "baseline_ratio": round(before["rps"] / bare["rps"], 2) if bare["rps"] else None,
            }
        rows.append(row)
    return rows


def _table(rows: list[dict[str, Any]], seconds: float, repeat: int = 1) -> str:
    baseline = "baseline_rps" in rows[0]
    head = f"{'endpoint':<9}{'c':>4}"
    if baseline:
        head += f"{'before rps':>12}{'p50':>8}{'cpu':>7}{'ratio':>7}"
    head += f"{'rps':>9}{'p50 ms':>9}{'p95 ms':>9}{'cpu ms':>8}{'bare rps':>10}{'cpu':>7}"
    head += f"{'ratio':>7}{'load':>6}"
    lines = [head]
    for r in rows:
        line = f"{r['endpoint']:<9}{r['concurrency']:>4}"
        if baseline:
            line += f"{r['baseline_rps']:>12}{r['baseline_p50_ms']:>8}"
            line += f"{r['baseline_cpu_ms'] or '-':>7}{r['baseline_ratio']:>7}"
        line += f"{r['rps']:>9}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['cpu_ms'] or '-':>8}"
        line += f"{r['bare_rps']:>10}{r['bare_cpu_ms'] or '-':>7}{r['ratio']:>7}"
        line += f"{r['load1']:>6}"
        lines.append(line)
    lines.append(
        f"{rows[0]['patients']} patients, {seconds:g} s per cell after a warm-up"
        f"{f', median of {repeat} runs' if repeat > 1 else ''}; cpu: the server's CPU ms "
        "per request; load: one-minute load average; "
        f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}; "
        "server and load generator share the machine"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database",
        default="postgresql://postgres@127.0.0.1/postgres",
        help="PostgreSQL admin URL to create the scratch database on",
    )
    parser.add_argument("--patients", type=int, default=64_000)
    parser.add_argument("--seconds", type=float, default=5, help="per cell, after a warm-up")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each cell (medians)")
    parser.add_argument("--quick", action="store_true", help="2 s per cell, concurrency 1,8")
    parser.add_argument("--baseline-src", help="a source tree to measure first (before)")
    parser.add_argument(
        "--baseline-revision", default="0012", help="the schema the baseline runs on"
    )
    parser.add_argument("--py-spy", default="", help="profile the app's server into FILE")
    parser.add_argument("--data-dir", default="/tmp")  # noqa: S108 - the app's scratch files
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.concurrency = 2, "1,8"
    rows = run(args)
    for row in rows:
        print(json.dumps(row), flush=True)
    print()
    print(_table(rows, args.seconds, args.repeat))


if __name__ == "__main__":
    main()
