"""Every query over patient tables is limited to the caller's clinics by the one
helper, ``kit.scoping.in_clinics``. This test reads the source: a function that
selects from a patient table without calling ``in_clinics`` fails it."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select

import ketaclinic.models  # noqa: F401 - every table registered
from ketaclinic.kit.db import Base
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import Patient

SRC = Path(__file__).resolve().parents[2] / "src" / "ketaclinic"


def _patient_models() -> set[str]:
    """Every mapped class whose table is patients or hangs off it."""
    names = set()
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if table.name == "patients" or any(
            fk.target_fullname.startswith("patients.") for fk in table.foreign_keys
        ):
            names.add(mapper.class_.__name__)
    return names


PATIENT_MODELS = _patient_models()
# Deliberate exceptions, each with its reason.
ALLOWED = {
    # After a refusal, a system lookup of which clinic's trail the attempt belongs on.
    "refusals.py:on_refused",
    # A patient's questionnaire link: the token is the credential, no staff clinics.
    "measures/repository.py:link_by_token_hash",
    # `ketaclinic ledger verify` walks every clinic's chain and balances (system work).
    "ledger/repository.py:chain",
    "ledger/verify.py:_balances",
    # The plan of a visit already read through a scoped query (same patient, same clinic).
    "appointments/reschedule.py:_protocol_of",
    "demo/calendar.py:continue_series",
    # The demo's history counts the clinic's charts it just wrote (system work, one clinic).
    "demo/history.py:load_history",
    # The demo's portal patient (system work at load, one clinic it just made) and the
    # logins printed at the terminal.
    "demo/portal.py:load_portal_patient",
    "demo/portal.py:_invitation_token",
    "demo/loader.py:demo_logins",
    # A research export reads the rows of the patients it selected through in_clinics
    # (deidentified: the ids subquery), after checking the permission for that clinic.
    "research/export.py:_scores",
    "research/export.py:_vitals",
    "research/export.py:_events",
    # Signing in to the patient portal: the address, the session cookie or the emailed
    # link is the credential; no clinic is known until the account is found.
    "portal/repository.py:account_by_email",
    "portal/repository.py:account_by_id",
}


def _mentions_patient_model(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id in PATIENT_MODELS for n in ast.walk(node))


def _queries_patients(call: ast.Call) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name == "select":
        return any(_mentions_patient_model(arg) for arg in call.args)
    if name in ("get", "query", "get_one") and isinstance(func, ast.Attribute):
        return bool(call.args) and _mentions_patient_model(call.args[0])
    return False


def _calls(node: ast.AST, name: str) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            func = n.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called == name:
                return True
    return False


def unscoped_queries(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts or path.name == "models.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            queries = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and _queries_patients(n)]
            where = f"{path.relative_to(root).as_posix()}:{fn.name}"
            if queries and not _calls(fn, "in_clinics") and where not in ALLOWED:
                found.append(where)
    return found


def test_it_knows_the_patient_tables() -> None:
    assert {"Patient", "BodyMeasurement", "Contact", "Diagnosis", "Medication", "Allergy"} <= (
        PATIENT_MODELS
    )


def test_it_finds_no_unscoped_patient_query_in_the_source() -> None:
    assert unscoped_queries(SRC) == []


def test_it_would_catch_an_unscoped_query(tmp_path: Path) -> None:
    (tmp_path / "repository.py").write_text(
        "def leaky(db, pid):\n"
        "    return db.scalar(select(Patient).where(Patient.id == pid))\n\n"
        "def also_leaky(db, pid):\n"
        "    return db.get(Contact, pid)\n\n"
        "def scoped(db, clinics, pid):\n"
        "    return db.scalar(in_clinics(select(Patient), Patient.clinic_id, clinics))\n"
    )
    assert unscoped_queries(tmp_path) == ["repository.py:leaky", "repository.py:also_leaky"]


def test_it_matches_nothing_for_a_user_without_clinics() -> None:
    stmt = in_clinics(select(Patient), Patient.clinic_id, [])
    assert "false" in str(stmt.compile()).lower() or "1 != 1" in str(stmt.compile())
