"""``make fuzz``: a longer fuzzing campaign than the suite's (tests/test_api_fuzz.py).

Loads the demo into a fresh database (SQLite, or a new database on a PostgreSQL
server with ``--database postgresql://…``), serves it with ``ketaclinic serve``, and
runs the schemathesis CLI over the whole OpenAPI description as the admin and as the
nurse: examples, boundary values (coverage) and random cases, every check. Prints a
JSON line per role (cases, responses >= 500, conformance failures by check) and a
table; exits 1 when any response was a server error.

An operation whose 422 response lists business rules under ``x-rules`` (rules JSON
Schema cannot state, kit.openapi.BUSINESS_RULES) may answer 422 to schema-valid
input: the campaign's ``schemathesis.toml`` says so for those operations only,
read from the served description.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

RULES_KEY = "x-rules"  # kit.openapi.RULES_KEY (bench imports the package lazily)
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's default
ROLES = {"admin": "admin@lakeside.example.org", "nurse": "nurse@lakeside.example.org"}
SERVER_ERROR = "Server error"


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'fuzz.db'}"
        return
    admin_url = make_url(kind).set(drivername="postgresql+psycopg")
    name = f"ketaclinic_fuzz_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _demo_with_tokens(url: str) -> dict[str, str]:
    from ketaclinic.auth.service import create_api_token, get_user_by_email
    from ketaclinic.demo.loader import load_demo
    from ketaclinic.kit.db import make_engine, make_sessionmaker, set_visible_clinics
    from ketaclinic.kit.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        set_visible_clinics(db, "*")
        load_demo(db, solve_seconds=1)
        tokens = {
            role: create_api_token(db, get_user_by_email(db, email), label="fuzz")
            for role, email in ROLES.items()
        }
        db.commit()
    engine.dispose()
    return tokens


@contextmanager
def _server(url: str, folder: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "KETACLINIC_DATABASE_URL": url,
        "KETACLINIC_DATA_DIR": str(folder),
        "KETACLINIC_LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "ketaclinic.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts slowly
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 - localhost
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def _config(base: str, folder: Path) -> Path:
    """A schemathesis.toml allowing 422 to schema-valid input where the description
    lists the business rules that refuse it."""
    with urllib.request.urlopen(f"{base}/api/openapi.json", timeout=30) as answer:  # noqa: S310
        document = json.load(answer)
    lines = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if op.get("responses", {}).get("422", {}).get(RULES_KEY):
                statuses = ", ".join(f'"{s}"' for s in [*ACCEPTED, "422"])
                lines += [
                    "[[operations]]",
                    f'include-name = "{method.upper()} {path}"',
                    f"checks.positive_data_acceptance.expected-statuses = [{statuses}]",
                    "",
                ]
    config = folder / "schemathesis.toml"
    config.write_text("\n".join(lines))
    return config


def _campaign(
    base: str, token: str, examples: int, seed: int, folder: Path, log: Path | None
) -> dict[str, Any]:
    cli = Path(sys.executable).parent / "schemathesis"
    done = subprocess.run(  # noqa: S603 - the schemathesis CLI of this environment
        [
            str(cli),
            "--config-file",
            str(_config(base, folder)),
            "run",
            f"{base}/api/openapi.json",
            "-H",
            f"Authorization: Bearer {token}",
            "--max-examples",
            str(examples),
            "--seed",
            str(seed),
            "-w",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            "--checks",
            "all",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,  # its cache stays there
    )
    out = done.stdout + done.stderr
    if log is not None:
        log.write_text(out)
    generated = re.search(r"([\d,]+) generated", out)
    failures = {
        name.strip(): int(count) for name, count in re.findall(r"❌ ST\d+ ([^:\n]+): (\d+)", out)
    }
    errors = sum(failures.pop(name) for name in list(failures) if name.startswith(SERVER_ERROR))
    cases = int(generated.group(1).replace(",", "")) if generated else 0
    return {
        "cases": cases,
        "server_errors": errors,
        "conformance_failures": sum(failures.values()),
        "by_check": failures,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite (default) or a PostgreSQL admin URL to create a database on",
    )
    parser.add_argument("--examples", type=int, default=50, help="cases per operation and phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--log", type=Path, help="keep schemathesis's report per role as LOG.ROLE.txt"
    )
    args = parser.parse_args(argv)
    rows = []

    def log(role: str) -> Path | None:
        return None if args.log is None else args.log.with_name(f"{args.log.name}.{role}.txt")

    with tempfile.TemporaryDirectory(prefix="ketaclinic-fuzz-") as tmp:
        folder = Path(tmp)
        with _database(args.database, folder) as url:
            tokens = _demo_with_tokens(url)
            kind = make_url(url).get_backend_name()
            with _server(url, folder) as base:
                for role, token in tokens.items():
                    row = {
                        "bench": "fuzz",
                        "database": kind,
                        "role": role,
                        **_campaign(base, token, args.examples, args.seed, folder, log(role)),
                    }
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    print(f"\n{'database':<11}{'role':<7}{'cases':>8}{'5xx':>6}{'conformance':>13}  by check")
    for r in rows:
        checks = ", ".join(f"{k} {v}" for k, v in r["by_check"].items()) or "-"
        print(
            f"{r['database']:<11}{r['role']:<7}{r['cases']:>8}{r['server_errors']:>6}"
            f"{r['conformance_failures']:>13}  {checks}"
        )
    if any(r["server_errors"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
