"""More than one server process on one database behaves as one process: a session
made on one is good on the other, sign-in throttles and the consult form's limit
count attempts wherever they land, and two desks racing for one chair through two
processes get one booking and one 409. Server A runs with ``--workers 2``, so three
processes share the database, the data directory and its generated secret key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import time_machine
from fastapi.testclient import TestClient

from ketaclinic.app import create_app
from ketaclinic.appointments.models import Chair
from ketaclinic.auth.models import User
from ketaclinic.clinics.service import create_clinic
from ketaclinic.kit.clock_store import store_clock
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.migrate import upgrade
from ketaclinic.kit.time import utcnow
from ketaclinic.settings import Settings
from tests.appointments.conftest import signed_plan
from tests.conftest import CLINIC_TZ, PASSWORD, Persona, _backend, _persona, _postgres_database
from tests.intake.test_public import request_form
from tests.test_serve import _free_port

# Small limits so the test is short: the servers' own settings.
LIMITS = {
    "KETACLINIC_MAX_FAILED_LOGINS": "5",
    "KETACLINIC_IP_FAILURE_LIMIT": "8",
    "KETACLINIC_INQUIRY_RATE_LIMIT": "3/hour",
}


@contextmanager
def _database(tmp_path: Path) -> Iterator[str]:
    if _backend() == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    with _postgres_database("ketaclinic_workers") as url:
        yield url


@contextmanager
def _server(url: str, data_dir: Path, log: Path, *flags: str) -> Iterator[subprocess.Popen[bytes]]:
    port = _free_port()
    env = {
        **os.environ,
        **LIMITS,
        "KETACLINIC_DATABASE_URL": url,
        "KETACLINIC_DATA_DIR": str(data_dir),
        "KETACLINIC_LOG_LEVEL": "WARNING",
    }
    env.pop("KETACLINIC_SECRET_KEY", None)  # generated in the shared data directory
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "ketaclinic.cli", "serve", "--port", str(port), *flags],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        server.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
        try:
            yield server
        finally:
            server.terminate()
            server.wait(timeout=15)


def _wait_until_up(*servers: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90  # a loaded CI machine (both suites side by side)
    for server in servers:
        while True:
            try:
                requests.get(f"{server.base}/healthz", timeout=5)  # type: ignore[attr-defined]
                break
            except requests.RequestException:  # refused, or slow to answer while starting
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("a server did not start") from None
                time.sleep(0.2)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A clinic with staff, chairs and a patient's booked series, written in this
    process; the stored clock puts the servers on the suite's clock."""
    tmp_path = tmp_path_factory.mktemp("workers")
    with _database(tmp_path) as url:
        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as db:
            clinic = create_clinic(db, slug="lakeside", name="Lakeside", timezone=CLINIC_TZ)
            staff = {
                role: _persona(db, role, clinic, name)
                for role, name in (
                    ("nurse", "Nia Nurse"),
                    ("prescriber", "Pat Prescriber"),
                    ("front_desk", "Fran Desk"),
                )
            }
            db.add_all(Chair(clinic_id=clinic.id, name=f"Chair {n}") for n in (1, 2))
            db.commit()
        settings = Settings(
            database_url=url, data_dir=tmp_path / "seed", secret_key="seed", log_level="WARNING"
        )
        app = create_app(settings, engine=engine)

        def api(persona: Persona) -> TestClient:
            return TestClient(app, headers={"Authorization": f"Bearer {persona.token}"})

        pid, plan = signed_plan(api, staff["nurse"], staff["prescriber"])
        desk = api(staff["front_desk"])
        booked = desk.post(f"/api/v1/patients/{pid}/plans/{plan}/appointments", json={"option": 0})
        assert booked.status_code == 201, booked.text
        with sessions() as db:
            wall = datetime.fromtimestamp(time_machine.escape_hatch.time.time(), UTC)
            store_clock(db, utcnow() - wall, CLINIC_TZ, "the test suite's clock")
            db.commit()
        yield {
            "url": url,
            "sessions": sessions,
            "staff": staff,
            "tmp": tmp_path,
            "appointments": [a["id"] for a in booked.json()[:2]],
        }
        engine.dispose()


@pytest.fixture(scope="module")
def servers(seeded: dict[str, Any]) -> Iterator[tuple[str, str]]:
    tmp, url = seeded["tmp"], seeded["url"]
    with ExitStack() as stack:
        a = stack.enter_context(_server(url, tmp / "var", tmp / "a.log", "--workers", "2"))
        b = stack.enter_context(_server(url, tmp / "var", tmp / "b.log"))
        _wait_until_up(a, b)
        yield a.base, b.base  # type: ignore[attr-defined]


def _sign_in(base: str, email: str, password: str) -> requests.Response:
    form = requests.get(f"{base}/login", timeout=10)
    [token] = re.findall(r'name="csrf_token" value="([^"]+)"', form.text)
    return requests.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token},
        cookies=form.cookies,
        allow_redirects=False,
        timeout=10,
    )


def _user(seeded: dict[str, Any], role: str) -> User:
    with seeded["sessions"]() as db:
        user = db.get(User, seeded["staff"][role].user.id)
        assert user is not None
        return user


def test_it_keeps_a_session_made_on_one_process_on_the_other(
    servers: tuple[str, str], seeded: dict[str, Any]
) -> None:
    a, b = servers
    signed_in = _sign_in(a, seeded["staff"]["prescriber"].email, PASSWORD)
    assert signed_in.status_code == 303, signed_in.text
    cookies = signed_in.cookies
    page = requests.get(f"{b}/patients", cookies=cookies, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    # A write on B with the session's CSRF token: signing out ends the session on A too.
    [csrf] = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)[:1]
    out = requests.post(
        f"{b}/logout", data={"csrf_token": csrf}, cookies=cookies, allow_redirects=False, timeout=10
    )
    assert out.status_code == 303
    after = requests.get(f"{a}/patients", cookies=cookies, allow_redirects=False, timeout=10)
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    keys = list((seeded["tmp"] / "var").iterdir())
    assert [k.name for k in keys] == ["secret_key"]  # made once by the servers starting together


def test_it_counts_sign_in_failures_on_every_process_toward_one_lock_out(
    servers: tuple[str, str], seeded: dict[str, Any]
) -> None:
    a, b = servers
    nurse = seeded["staff"]["nurse"].email
    codes = [_sign_in(base, nurse, "wrong password").status_code for base in (a, b, a, b, a)]
    assert codes == [401] * 5
    locked = _user(seeded, "nurse")
    assert locked.failed_logins == 5 and locked.locked_at is not None
    assert _sign_in(b, nurse, PASSWORD).status_code == 401  # locked on B as well
    # Six failures from this address so far (the right password for a locked account
    # counts); two more, one on each process, close the address to everyone.
    for base in (a, b):
        assert _sign_in(base, "nobody@lakeside.example.org", "guess").status_code == 401
    refused = _sign_in(a, seeded["staff"]["front_desk"].email, PASSWORD)
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text


def test_it_counts_consult_requests_from_one_address_on_every_process(
    servers: tuple[str, str],
) -> None:
    a, b = servers

    def send(base: str) -> int:
        sent = requests.post(f"{base}/consult/lakeside", data=request_form(), timeout=10)
        return sent.status_code

    assert [send(base) for base in (a, b, a, b, a)] == [200, 200, 200, 429, 429]


def test_it_gives_a_chair_to_one_of_two_desks_racing_through_two_processes(
    servers: tuple[str, str], seeded: dict[str, Any]
) -> None:
    a, b = servers
    bearer = {"Authorization": f"Bearer {seeded['staff']['front_desk'].token}"}
    first, second = seeded["appointments"]
    [suggestion, *_rest] = requests.get(
        f"{a}/api/v1/appointments/{first}/suggestions", headers=bearer, timeout=30
    ).json()["items"]
    to = {"starts_at": suggestion["starts_at"], "chair_id": suggestion["chair_id"]}
    codes: list[int] = []
    start = threading.Barrier(2)

    def move(base: str, appointment: int) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            response = requests.post(
                f"{base}/api/v1/appointments/{appointment}/reschedule",
                json=to,
                headers=bearer,
                timeout=60,
            )
            codes.append(response.status_code)

        return run

    desks = [threading.Thread(target=move(a, first)), threading.Thread(target=move(b, second))]
    for desk in desks:
        desk.start()
    for desk in desks:
        desk.join()
    assert sorted(codes) == [200, 409], codes


def test_it_accepts_a_fhir_client_assertion_once_whichever_process_sees_it(
    servers: tuple[str, str], seeded: dict[str, Any]
) -> None:
    """The jti is kept in the database: a second process refuses the same assertion,
    and an access token one process gave works on the other."""
    from ketaclinic.auth.service import principal_for
    from ketaclinic.smart.service import clients
    from tests.smart.conftest import assertion, ec_keys, jwks_of, token_form

    a, b = servers
    keys = ec_keys()
    with seeded["sessions"]() as db:
        clinic = seeded["staff"]["nurse"].clinic
        admin = _persona(db, "admin", clinic, "Ada Admin")
        client = clients.register(
            db,
            principal_for(db, admin.user),
            clinic.id,
            name="Registry",
            role="nurse",
            scopes="system/*.rs",
            jwks=jwks_of(keys),
        )
        db.commit()
    # A SMART client signs by its own, real clock, and the servers check assertions
    # against the real time (kit.time.wall_utcnow), not their shifted one: the escape
    # hatch is the suite's one sanctioned way to that clock (tests/test_architecture.py),
    # as the fixture's clock shift above uses it. Not hour-dependent: exp = now + 240 s.
    real_exp = int(time_machine.escape_hatch.time.time()) + 240
    form = token_form(assertion(client, keys, exp=real_exp))
    first = requests.post(f"{a}/fhir/auth/token", data=form, timeout=10)
    assert first.status_code == 200, first.text
    again = requests.post(f"{b}/fhir/auth/token", data=form, timeout=10)
    assert again.status_code == 401 and "used before" in again.json()["error_description"]
    bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
    seen = requests.get(f"{b}/fhir/auth/introspect", headers=bearer, timeout=10)
    assert seen.status_code == 200 and seen.json()["actor"] == f"fhir-client:{client.id}"
