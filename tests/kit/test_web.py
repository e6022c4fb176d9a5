"""The request's unit of work on a ``UnitOfWorkRoute``: a read without a body takes
one threadpool step (caller, rule, handler, audit, commit), and a refused caller is
still answered 401/403 before anything about the request itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketaclinic.audit.models import AuditEvent
from tests.conftest import Persona
from tests.patients.test_api import valid_patient

Api = Callable[[Persona], TestClient]


@pytest.fixture
def thread_steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the functions the server hands to a thread, in order."""
    steps: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        named = getattr(func, "func", func)  # a functools.partial names its function
        steps.append(getattr(named, "__name__", repr(named)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    yield steps


def _actions(db: Session, outcome: str, after: int = 0) -> list[str]:
    """The trail's actions with this outcome, of the events after id ``after`` (on
    PostgreSQL other tests' committed events are there too)."""
    stmt = select(AuditEvent.action).where(AuditEvent.outcome == outcome, AuditEvent.id > after)
    return list(db.scalars(stmt.order_by(AuditEvent.id)))


def _last_event_id(db: Session) -> int:
    return db.scalar(select(func.max(AuditEvent.id))) or 0


def test_it_reads_a_chart_in_one_threadpool_step(
    api: Api, nurse: Persona, db: Session, thread_steps: list[str]
) -> None:
    client = api(nurse)
    created = client.post("/api/v1/patients", json=valid_patient()).json()
    before = _actions(db, "allowed").count("patient.read")
    thread_steps.clear()
    response = client.get(f"/api/v1/patients/{created['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]
    assert len(thread_steps) == 1, thread_steps
    # ... and its read is on the trail, committed in that step.
    assert _actions(db, "allowed").count("patient.read") == before + 1


def test_it_still_takes_a_step_of_its_own_to_check_a_write(
    api: Api, nurse: Persona, thread_steps: list[str]
) -> None:
    created = api(nurse).post("/api/v1/patients", json=valid_patient())
    assert created.status_code == 201
    # The caller's check in a step of its own, before the body is validated.
    assert thread_steps[:2] == ["_authorize", "_run_sync_endpoint"], thread_steps


@pytest.mark.parametrize(
    "url", ["/api/v1/patients/abc", "/api/v1/patients/1?unknown=1", "/api/v1/patients?page=x"]
)
def test_it_answers_an_unknown_token_401_before_a_parameter_it_refuses(
    api: Api, nurse: Persona, db: Session, url: str
) -> None:
    stranger = TestClient(api(nurse).app, headers={"Authorization": "Bearer not-a-token"})
    after = _last_event_id(db)
    response = stranger.get(url)
    assert response.status_code == 401, response.text
    assert _actions(db, "denied", after) == ["access.unauthenticated"]


@pytest.mark.parametrize("url", ["/api/v1/patients/abc", "/api/v1/patients/1?unknown=1"])
def test_it_answers_a_role_without_the_permission_403_before_a_parameter_it_refuses(
    api: Api, custodian: Persona, db: Session, url: str
) -> None:
    client = api(custodian)
    after = _last_event_id(db)
    response = client.get(url)
    assert response.status_code == 403, response.text
    assert _actions(db, "denied", after) == ["access.denied"]


def test_it_still_answers_a_caller_who_may_read_the_refused_parameter(
    api: Api, nurse: Persona
) -> None:
    response = api(nurse).get("/api/v1/patients/1?unknown=1")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"unknown": "is not a parameter of this operation"}
