"""`ketaclinic serve` behind a reverse proxy: with --proxy-headers it takes the
client's address and the scheme from the proxy it trusts (so throttles and the audit
trail see the real address, and HTTPS brings HSTS); without, it ignores them."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketaclinic.kit.migrate import upgrade

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, *flags: str) -> Iterator[tuple[str, Path]]:
    db = tmp_path / "serve.db"
    upgrade(f"sqlite:///{db}")
    port = _free_port()
    env = {
        **os.environ,
        "KETACLINIC_DATABASE_URL": f"sqlite:///{db}",
        "KETACLINIC_DATA_DIR": str(tmp_path / "var"),
        "KETACLINIC_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "ketaclinic.cli", "serve", "--port", str(port), *flags],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)  # noqa: S310 - localhost
                break
            except OSError:  # refused, or slow to answer while starting (URLError is one)
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        yield base, db
    finally:
        server.terminate()
        server.wait(timeout=10)


def _refused_from(base: str, db: Path) -> tuple[str, str]:
    """An anonymous API call (401, audited with its address); the address and HSTS."""
    request = urllib.request.Request(f"{base}/api/v1/patients", headers=FORWARDED)  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - localhost
    assert refused.value.code == 401
    hsts = refused.value.headers.get("Strict-Transport-Security", "")
    with sqlite3.connect(db) as raw:
        [(ip,)] = raw.execute(
            "SELECT ip FROM audit_events WHERE action = 'access.unauthenticated'"
        ).fetchall()
    return ip, hsts


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield from _serve(tmp_path, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")


@pytest.fixture
def direct(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield from _serve(tmp_path)


def test_it_sees_the_client_behind_a_trusted_proxy(behind_proxy: tuple[str, Path]) -> None:
    ip, hsts = _refused_from(*behind_proxy)
    assert ip == "203.0.113.9" and hsts.startswith("max-age=")


def test_it_ignores_forwarded_headers_unless_told_to_trust_them(
    direct: tuple[str, Path],
) -> None:
    ip, hsts = _refused_from(*direct)
    assert ip == "127.0.0.1" and hsts == ""
