"""The generated secret key: made once, whoever asks first, and the same for all."""

from __future__ import annotations

import multiprocessing
import stat
import threading
from pathlib import Path
from typing import Any

from ketaclinic.settings import Settings, secret_key_in


def _key_after(barrier: Any, data_dir: Path, found: Any) -> None:
    barrier.wait()
    found.put(secret_key_in(data_dir))


def test_it_gives_every_server_process_starting_at_once_the_same_key(tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    barrier, found = spawn.Barrier(6), spawn.Queue()
    workers = [
        spawn.Process(target=_key_after, args=(barrier, tmp_path / "var", found)) for _ in range(6)
    ]
    for worker in workers:
        worker.start()
    keys = {found.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(timeout=10)
    assert len(keys) == 1 and len(keys.pop()) >= 64
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["secret_key"]  # no leftovers


def test_it_gives_threads_racing_for_it_the_same_key_and_keeps_it_private(
    tmp_path: Path,
) -> None:
    barrier, keys = threading.Barrier(16), []
    lock = threading.Lock()

    def read() -> None:
        barrier.wait()
        key = Settings(data_dir=tmp_path).resolved_secret_key()
        with lock:
            keys.append(key)

    threads = [threading.Thread(target=read) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys) == 16
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_it_prefers_a_configured_key_and_writes_nothing(tmp_path: Path) -> None:
    configured = Settings(data_dir=tmp_path, secret_key="configured")
    assert configured.resolved_secret_key() == "configured"
    assert list(tmp_path.iterdir()) == []
