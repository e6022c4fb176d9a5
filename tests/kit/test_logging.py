"""Logs are structured JSON with request ids, and carry no patient data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketaclinic.app import create_app
from ketaclinic.settings import Settings
from tests.conftest import Persona
from tests.patients.test_api import valid_patient


def test_it_logs_requests_without_patient_data(
    database_url: str,
    engine: Engine,
    session_factory: sessionmaker[Session],
    front_desk: Persona,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key="k",
        log_json=True,
        log_level="INFO",
    )
    app = create_app(settings, engine=engine)
    app.state.sessionmaker = session_factory
    capfd.readouterr()
    with TestClient(app, headers={"Authorization": f"Bearer {front_desk.token}"}) as client:
        created = client.post("/api/v1/patients", json=valid_patient()).json()
        client.get("/api/v1/patients", params={"q": "Lindqvist"})
        client.get(f"/api/v1/patients/{created['id']}")
    err = capfd.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) == 3
    assert all(r["request_id"] and r["user_id"] == front_desk.user.id for r in requests)
    assert {r["route"] for r in requests} == {"/api/v1/patients", "/api/v1/patients/{patient_id}"}
    # The whole phone number: three digits alone also turn up in timestamps.
    for secret in ("Lindqvist", "Maya", "1984-03-21", "5125550147", "555 0147", created["mrn"]):
        assert secret not in err
