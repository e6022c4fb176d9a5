"""Many requests at once against a real server on a real database: on SQLite reads
never wait for the write lock and CP-SAT proposals run outside any write transaction
(kit.db); a burst far larger than the connection pool is all served (kit.slots)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx2 as httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from ketaclinic.app import create_app
from ketaclinic.appointments.models import Chair
from ketaclinic.audit import service as audit
from ketaclinic.audit.models import AuditEvent
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.db import make_sessionmaker, set_visible_clinics
from ketaclinic.settings import Settings
from tests.appointments.conftest import signed_plan
from tests.conftest import Persona, _persona
from tests.e2e.conftest import _free_port
from tests.patients.test_api import valid_patient

SLOTS = 6  # far fewer than the requests sent at once
T = TypeVar("T")


@dataclass
class Served:
    url: str
    front_desk: Persona
    patient_id: int
    plan_id: int
    sessions: Callable[[], object]


@pytest.fixture(scope="module")
def served(fresh_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server with its own engine and pool (as `ketaclinic serve` makes them)."""
    data_dir: Path = tmp_path_factory.mktemp("served")
    settings = Settings(
        database_url=fresh_url,
        secret_key="concurrency",
        data_dir=data_dir,
        log_level="WARNING",
        request_slots=SLOTS,
    )
    app = create_app(settings)
    sessions = make_sessionmaker(app.state.engine)
    with sessions() as db:
        set_visible_clinics(db, "*")
        clinic = create_clinic(db, slug="rush", name="Rush Hour", timezone="America/Chicago")
        people = {
            role: _persona(db, role, clinic, f"{role.title()} Person")
            for role in ("nurse", "prescriber", "front_desk")
        }
        db.add_all(Chair(clinic_id=clinic.id, name=f"Chair {n}") for n in (1, 2, 3))
        db.commit()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    clients: list[httpx.Client] = []

    def api(persona: Persona) -> httpx.Client:
        clients.append(
            httpx.Client(
                base_url=url, timeout=60, headers={"Authorization": f"Bearer {persona.token}"}
            )
        )
        return clients[-1]

    patient_id, plan_id = signed_plan(api, people["nurse"], people["prescriber"])  # type: ignore[arg-type]
    for c in clients:
        c.close()
    yield Served(url, people["front_desk"], patient_id, plan_id, sessions)
    server.should_exit = True
    thread.join(timeout=15)
    app.state.engine.dispose()


async def _all_at_once(
    served: Served, requests: list[tuple[str, str, dict | None]]
) -> Counter[int]:
    headers = {"Authorization": f"Bearer {served.front_desk.token}"}
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=served.url, headers=headers, limits=limits, timeout=120
    ) as client:

        async def one(method: str, path: str, body: dict | None) -> int:
            response = await client.request(method, path, json=body)
            if response.status_code >= 500:
                print(response.status_code, path, response.text[:300])  # shown on failure
            return response.status_code

        codes = await asyncio.gather(*(one(*r) for r in requests))
    return Counter(codes)


def in_a_loop_of_its_own(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` on a new event loop in a thread of its own: the suite's main thread
    may already run one (Playwright's sync API does)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


def _written(served: Served, action: str) -> int:
    with served.sessions() as db:  # type: ignore[attr-defined]
        set_visible_clinics(db, "*")
        return int(db.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)


def test_it_serves_forty_proposals_and_ten_writers_at_once(served: Served) -> None:
    """The CP-SAT proposals (seconds of CPU between them) and the registrations all
    answer: no "database is locked", nothing refused, every read audited."""
    proposals_before = _written(served, "patient.schedule_proposed")
    availability = f"/api/v1/patients/{served.patient_id}/plans/{served.plan_id}/availability"
    reads = [("GET", availability, None)] * 40
    writes = [
        (
            "POST",
            "/api/v1/patients",
            valid_patient(given_name=f"Writer{n}", birth_date=f"198{n}-01-01"),
        )
        for n in range(10)
    ]
    codes = in_a_loop_of_its_own(_all_at_once(served, reads + writes))
    assert codes == Counter({200: 40, 201: 10}), codes
    assert _written(served, "patient.schedule_proposed") == proposals_before + 40
    with served.sessions() as db:  # type: ignore[attr-defined]
        assert audit.verify(db)[1] is None


def test_it_serves_two_hundred_requests_at_once_with_a_pool_of_a_few(served: Served) -> None:
    chart = f"/api/v1/patients/{served.patient_id}"
    requests = [
        ("GET", chart, None),
        ("GET", "/api/v1/patients", None),
        ("GET", "/healthz", None),
        ("GET", "/api/v1/board", None),
    ] * 50
    codes = in_a_loop_of_its_own(_all_at_once(served, requests))
    assert codes == Counter({200: 200}), codes
