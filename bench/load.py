"""The load generator of ``bench.api``, run in its own process so it does not share
the server's interpreter: ``python -m bench.load`` reads a JSON job on stdin
(``port``, ``token``, ``paths``, ``concurrency``, ``seconds``, ``warmup_s``) and
prints one JSON line (``requests``, ``errors``, ``rps``, ``p50_ms``, ``p95_ms``, and
``served``: every request answered, the warm-up's included).

A minimal HTTP/1.1 keep-alive client on asyncio streams (GET only, responses with a
Content-Length): a general client library costs more CPU per request than the
server's middleware we are measuring, on a machine with two cores.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from typing import Any


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def _connection(
    job: dict[str, Any],
    until: float,
    record_from: float,
    out: list[float],
    errors: list[int],
    served: list[int],
    seed: int,
) -> None:
    rng = random.Random(seed)  # noqa: S311 - load, not secrets
    reader, writer = await asyncio.open_connection("127.0.0.1", job["port"])
    head = f"Host: 127.0.0.1\r\nAuthorization: Bearer {job['token']}\r\n\r\n"
    requests = [f"GET {p} HTTP/1.1\r\n{head}".encode() for p in job["paths"]]
    try:
        while (started := time.perf_counter()) < until:
            status = await _get(reader, writer, rng.choice(requests))
            served[0] += 1
            if started >= record_from:
                out.append(time.perf_counter() - started)
                if status != 200:
                    errors.append(status)
    finally:
        writer.close()


async def run(job: dict[str, Any]) -> dict[str, Any]:
    began = time.perf_counter()
    record_from = began + job["warmup_s"]
    until = record_from + job["seconds"]
    latencies: list[float] = []
    errors: list[int] = []
    served = [0]
    await asyncio.gather(
        *(
            _connection(job, until, record_from, latencies, errors, served, n)
            for n in range(job["concurrency"])
        )
    )
    latencies.sort()
    count = len(latencies)
    return {
        "requests": count,
        "errors": len(errors),
        "rps": round(count / job["seconds"], 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if count else None,
        "p95_ms": round(latencies[int(0.95 * (count - 1))] * 1000, 2) if count else None,
        "served": served[0],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.load(sys.stdin)))), flush=True)
