"""``make bench-fhir``: the FHIR server on PostgreSQL with 64,000 patients.

Workload: the scratch database of ``bench.api`` (one clinic, a nurse with an API token,
``--patients`` patients bulk-loaded with COPY, each with two body measurements — four
Observations, weight and height — a diagnosis and a medication), one uvicorn process
serving the app as a plain role (so row-level security applies) and a load generator
in another process (``bench.load``).

Cells, each printed as a JSON line (``"bench": "fhir"``) and in a table:
- ``search``: ``GET /fhir/Observation?patient=N&code=http://loinc.org|29463-7`` at each
  concurrency, random patients; p50 and p95. Baseline in the same run: the JSON API's
  chart read of the same patients (``GET /api/v1/patients/N``, which reads the same
  measurements and more), on the same server. Target: p50 <= 10 ms at concurrency 1.
- ``export``: a whole-system bulk export written by the job's own code (``fhir.bulk``)
  in this process, resources per second. Baseline in the same run: psycopg reading the
  same rows and writing one JSON line per row (no FHIR mapping): the floor of any
  export. Target: >= 20,000 resources/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg

from bench.api import ROOT, Served, _env, _load, _median, _prepared

WEIGHT = "http://loinc.org|29463-7"


def _search_paths(patients: int) -> list[str]:
    rng = random.Random("fhir")  # noqa: S311 - load, not secrets
    return [
        f"/fhir/Observation?patient={rng.randint(1, patients)}&code={WEIGHT}" for _ in range(2000)
    ]


def _chart_paths(patients: int) -> list[str]:
    rng = random.Random("fhir")  # noqa: S311 - the same patients as the search
    return [f"/api/v1/patients/{rng.randint(1, patients)}" for _ in range(2000)]


def _export(app_url: str, directory: Path) -> tuple[int, float]:
    """A whole-system export through the job's code; (resources, seconds)."""
    from sqlalchemy import select

    from ketaclinic.auth.models import User
    from ketaclinic.clinical.treatment import load_protocols
    from ketaclinic.clinics.models import Clinic
    from ketaclinic.fhir import bulk
    from ketaclinic.fhir.deps import facts_of
    from ketaclinic.fhir.export_models import FhirExport
    from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
    from ketaclinic.kit.jobs import see_every_clinic
    from ketaclinic.kit.time import utcnow

    engine = make_engine(app_url)
    with make_sessionmaker(engine)() as db:
        see_every_clinic(db)
        set_visible_clinics(db, "*")
        clinic_ids = list(db.scalars(select(Clinic.id)))
        requester = db.scalars(select(User.id).limit(1)).one()
        export = FhirExport(
            id=secrets.token_hex(16),
            requested_by_id=requester,
            clinic_ids=",".join(str(c) for c in clinic_ids),
            level="system",
            types=",".join(bulk.RESOURCE_TYPES),
            request_url="bench",
            status="running",
            progress="",
            files="[]",
            resources=0,
            transaction_time=utcnow(),
            created_at=utcnow(),
        )
        db.add(export)
        db.commit()
        started = time.perf_counter()
        bulk.write(db, export, directory, facts_of(load_protocols()))
        took = time.perf_counter() - started
        done = db.get(FhirExport, export.id, populate_existing=True)
        assert done is not None and done.status == "done"
        count = done.resources
    engine.dispose()
    return count, took


def _floor(app_url: str, directory: Path) -> tuple[int, float]:
    """The same rows read by psycopg and written as JSON lines, no mapping."""
    dsn = app_url.replace("postgresql+psycopg", "postgresql")
    queries = (
        "SELECT row_to_json(p)::text FROM patients p",
        "SELECT row_to_json(b)::text FROM body_measurements b",
        "SELECT row_to_json(b)::text FROM body_measurements b",  # weight and height
        "SELECT row_to_json(d)::text FROM diagnoses d",
        "SELECT row_to_json(m)::text FROM medications m",
    )
    count = 0
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, (directory / "floor.ndjson").open("w") as out:
        conn.execute("SELECT set_config('ketaclinic.clinic_ids', '*', false)")
        for query in queries:
            with conn.cursor(name=f"floor{count}") as cursor:
                cursor.execute(query)
                for (line,) in cursor:
                    out.write(json.dumps(json.loads(line), separators=(",", ":")))
                    out.write("\n")
                    count += 1
    return count, time.perf_counter() - started


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    levels = [int(c) for c in args.concurrency.split(",")]
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        url, token = stack.enter_context(_prepared(args.database, "head", args.patients))
        served = Served("ketaclinic.asgi:app", ROOT / "src", _env(url, args.data_dir))
        search, chart = _search_paths(args.patients), _chart_paths(args.patients)
        runs_by_level = {}
        try:
            for level in levels:
                runs_by_level[level] = [
                    (
                        _load(served, token, search, level, args.seconds),
                        _load(served, token, chart, level, args.seconds),
                    )
                    for _ in range(args.repeat)
                ]
        finally:
            served.stop()
        for level, runs in runs_by_level.items():
            now = _median([r[0] for r in runs])
            base = _median([r[1] for r in runs])
            rows.append(
                {
                    "bench": "fhir",
                    "database": "postgresql",
                    "patients": args.patients,
                    "cell": "search",
                    "concurrency": level,
                    "rps": now["rps"],
                    "p50_ms": now["p50_ms"],
                    "p95_ms": now["p95_ms"],
                    "errors": now["errors"],
                    "baseline": "JSON API chart read",
                    "baseline_rps": base["rps"],
                    "baseline_p50_ms": base["p50_ms"],
                    "ratio": round(now["rps"] / base["rps"], 2) if base["rps"] else None,
                    "load1": now["load1"],
                }
            )
        app_url = url.render_as_string(hide_password=False)
        with tempfile.TemporaryDirectory() as scratch:
            resources, took = _export(app_url, Path(scratch))
            floor_rows, floor_took = _floor(app_url, Path(scratch))
        rate, floor_rate = resources / took, floor_rows / floor_took
        rows.append(
            {
                "bench": "fhir",
                "database": "postgresql",
                "patients": args.patients,
                "cell": "export",
                "resources": resources,
                "wall_s": round(took, 2),
                "resources_per_s": round(rate),
                "baseline": "psycopg rows to JSON lines",
                "baseline_rows": floor_rows,
                "baseline_per_s": round(floor_rate),
                "ratio": round(rate / floor_rate, 2),
                "load1": os.getloadavg()[0],
            }
        )
    return rows


def _table(rows: list[dict[str, Any]], seconds: float) -> str:
    lines = [
        f"{'cell':<8}{'c':>4}{'rps':>9}{'p50 ms':>9}{'p95 ms':>9}{'base rps':>10}"
        f"{'base p50':>10}{'ratio':>7}{'load':>6}"
    ]
    for r in rows:
        if r["cell"] == "search":
            lines.append(
                f"{'search':<8}{r['concurrency']:>4}{r['rps']:>9}{r['p50_ms']:>9}"
                f"{r['p95_ms']:>9}{r['baseline_rps']:>10}{r['baseline_p50_ms']:>10}"
                f"{r['ratio']:>7}{r['load1']:>6.2f}"
            )
    for r in rows:
        if r["cell"] == "export":
            lines.append(
                f"export: {r['resources']} resources in {r['wall_s']} s = "
                f"{r['resources_per_s']}/s (floor: {r['baseline_per_s']} rows/s, "
                f"ratio {r['ratio']}; load {r['load1']:.2f})"
            )
    lines.append(
        f"{rows[0]['patients']} patients, {seconds:g} s per search cell after a warm-up; "
        "search baseline: the JSON API's chart read of the same patients on the same "
        f"server; {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}; server and load generator share the machine"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fhir",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1/postgres")
    parser.add_argument("--patients", type=int, default=64_000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data-dir", default="/tmp")  # noqa: S108 - the app's scratch files
    args = parser.parse_args(argv)
    rows = run(args)
    for row in rows:
        print(json.dumps(row), flush=True)
    print()
    print(_table(rows, args.seconds))


if __name__ == "__main__":
    main()
