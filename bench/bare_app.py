"""The bare stack ``bench.api`` compares KetaClinic with: Starlette and psycopg, no
ORM, no dependency injection, no middleware, doing the same SQL for the same four
requests — the token lookup (one statement, as ``auth.service.principal_for_token``),
the visible clinics for row-level security, the rows, and the audit event chained
on its clinic's head (so ``ketaclinic audit verify`` still passes afterwards) — the
head locked last, after the reads, and the event written with it in one statement,
as the app does (locking it before the chart's reads queued every request behind the
one holding it, a limit of this stack's own making at concurrency 8 and 32).

Served by ``uvicorn bench.bare_app:app`` with ``KETACLINIC_BARE_DSN`` (a libpq URL).
Sync endpoints on Starlette's threadpool, like the app's; one connection per
threadpool worker at most, kept in a queue.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ketaclinic.audit.chain import event_hash
from ketaclinic.kit.time import utcnow

DSN = os.environ.get("KETACLINIC_BARE_DSN", "")
POOL: queue.LifoQueue[psycopg.Connection[dict[str, Any]]] = queue.LifoQueue()

AUTH = """
SELECT t.id AS token_id, u.id AS user_id, u.email, m.clinic_id, m.role
FROM api_tokens t JOIN users u ON u.id = t.user_id
LEFT OUTER JOIN memberships m ON m.user_id = u.id
WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.is_active
"""
# The chart's child lists in one statement, as ``patients.repository.chart_children``:
# (key, table, the table's columns in the slots at, s1, s2, s3, n1, n2, b1, b2, b3).
CHILDREN = (
    ("measurements", "body_measurements", "measured_at", "", "", "", "weight_kg", "height_cm"),
    (
        "contacts",
        "patient_contacts",
        "recorded_at",
        "name",
        "relationship",
        "phone",
        "",
        "",
        "is_escort",
        "is_emergency",
        "active",
    ),
    ("diagnoses", "diagnoses", "recorded_at", "code", "label", "", "", "", "active"),
    ("medications", "medications", "recorded_at", "name", "dose", "", "", "", "active"),
    ("allergies", "allergies", "recorded_at", "substance", "reaction", "", "", "", "active"),
)
_SLOTS = (
    ("stamp", ""),
    ("s1", "varchar"),
    ("s2", "varchar"),
    ("s3", "varchar"),
    ("n1", "numeric"),
    ("n2", "numeric"),
    ("b1", "boolean"),
    ("b2", "boolean"),
    ("b3", "boolean"),
)


def _children_sql() -> str:
    branches = []
    for kind, (_, table, *names) in enumerate(CHILDREN):
        names += [""] * (len(_SLOTS) - len(names))
        columns = ", ".join(
            f"c.{name} AS {slot}" if name else f"CAST(NULL AS {type_}) AS {slot}"
            for (slot, type_), name in zip(_SLOTS, names, strict=True)
        )
        branches.append(
            f"SELECT {kind} AS kind, c.id, {columns} FROM {table} c "  # noqa: S608 - constants
            "JOIN patients p ON p.id = c.patient_id "
            "WHERE p.clinic_id = ANY(%(clinics)s) AND c.patient_id = %(patient)s"
        )
    return (
        f"SELECT * FROM ({' UNION ALL '.join(branches)}) u "  # noqa: S608 - constants
        "ORDER BY u.kind, u.stamp DESC, u.id DESC"
    )


CHILDREN_SQL = _children_sql()
SEARCH = """
SELECT p.*, count(*) OVER () AS total FROM patients p
WHERE p.clinic_id = ANY(%(clinics)s)
  AND (p.search_name LIKE %(pattern)s OR lower(p.mrn) LIKE %(pattern)s)
ORDER BY p.family_name, p.given_name, p.id LIMIT 50
"""
BOARD = """
SELECT a.*, p.given_name, p.family_name FROM appointments a
JOIN patients p ON p.id = a.patient_id
WHERE a.clinic_id = %s AND a.starts_at >= %s::date AND a.starts_at < %s::date + 1
ORDER BY a.starts_at
"""
# The event and its chain's new head in one statement, as ``audit.service`` writes a
# request's one event (PostgreSQL runs a data-modifying WITH exactly once).
INSERT_EVENT = """
WITH written_event AS (
    INSERT INTO audit_events (chain_key, seq, occurred_at, clinic_id, user_id, actor, action,
        resource_type, resource_id, patient_id, outcome, ip, user_agent, channel, request_id,
        detail, prev_hash, hash)
    VALUES (%(chain_key)s, %(seq)s, %(occurred_at)s, %(clinic_id)s, %(user_id)s, %(actor)s,
        %(action)s, %(resource_type)s, %(resource_id)s, %(patient_id)s, %(outcome)s, %(ip)s,
        %(user_agent)s, %(channel)s, %(request_id)s, %(detail)s, %(prev_hash)s, %(hash)s)
)
UPDATE audit_chain_heads SET last_seq = %(seq)s, last_hash = %(hash)s
WHERE chain_key = %(chain_key)s
"""


@contextmanager
def _transaction() -> Iterator[psycopg.Connection[dict[str, Any]]]:
    try:
        conn = POOL.get_nowait()
    except queue.Empty:
        conn = psycopg.connect(DSN, row_factory=dict_row)
    try:
        with conn.transaction():
            yield conn
    finally:
        POOL.put(conn)


class Refused(Exception):
    pass


def _caller(conn: psycopg.Connection[dict[str, Any]], request: Request) -> dict[str, Any]:
    token = request.headers.get("authorization", "").partition(" ")[2]
    rows = conn.execute(AUTH, (hashlib.sha256(token.encode()).hexdigest(),)).fetchall()
    if not rows:
        raise Refused
    clinics = [r["clinic_id"] for r in rows if r["clinic_id"] is not None]
    conn.execute(
        "SELECT set_config('ketaclinic.clinic_ids', %s, true)", (",".join(map(str, clinics)),)
    )
    return {"user_id": rows[0]["user_id"], "email": rows[0]["email"], "clinics": clinics}


def _audit(
    conn: psycopg.Connection[dict[str, Any]],
    caller: dict[str, Any],
    request: Request,
    action: str,
    clinic_id: int,
    patient_id: int | None,
    detail: dict[str, Any],
) -> None:
    head = conn.execute(
        "SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain_key = %s FOR UPDATE",
        (clinic_id,),
    ).fetchone()
    assert head is not None, "the clinic's chain has a head once anything was audited"
    fields = {
        "chain_key": clinic_id,
        "seq": head["last_seq"] + 1,
        "occurred_at": utcnow(),
        "clinic_id": clinic_id,
        "user_id": caller["user_id"],
        "actor": caller["email"],
        "action": action,
        "resource_type": "patient",
        "resource_id": str(patient_id or ""),
        "patient_id": patient_id,
        "outcome": "allowed",
        "ip": request.client.host if request.client else "",
        "user_agent": request.headers.get("user-agent", "")[:300],
        "channel": "api",
        "request_id": "",
        "detail": json.dumps(detail, sort_keys=True, default=str),
    }
    hashable = dict(fields, occurred_at=fields["occurred_at"].isoformat(timespec="microseconds"))
    digest = event_hash(hashable, head["last_hash"])
    conn.execute(INSERT_EVENT, {**fields, "prev_hash": head["last_hash"], "hash": digest})


def _json(data: Any) -> Response:
    return Response(json.dumps(data, default=str), media_type="application/json")


def chart(request: Request) -> Response:
    patient_id = int(request.path_params["patient_id"])
    with _transaction() as conn:
        try:
            caller = _caller(conn, request)
        except Refused:
            return JSONResponse({"error": "unauthenticated"}, status_code=401)
        clinics = caller["clinics"]
        patient = conn.execute(
            "SELECT * FROM patients WHERE clinic_id = ANY(%s) AND id = %s", (clinics, patient_id)
        ).fetchone()
        if patient is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        for key, *_ in CHILDREN:
            patient[key] = []
        rows = conn.execute(CHILDREN_SQL, {"clinics": clinics, "patient": patient_id})
        for row in rows.fetchall():
            key, _, *names = CHILDREN[row["kind"]]
            item = {"id": row["id"]}
            for (slot, _), name in zip(_SLOTS, names, strict=False):
                if name:
                    item[name] = row[slot]
            patient[key].append(item)
        # Last, as the app does: the chain's head stays locked only until the commit.
        _audit(
            conn,
            caller,
            request,
            "patient.read",
            patient["clinic_id"],
            patient_id,
            {"purpose": "view"},
        )
    return _json(patient)


def search(request: Request) -> Response:
    q = request.query_params.get("q", "").lower()
    with _transaction() as conn:
        try:
            caller = _caller(conn, request)
        except Refused:
            return JSONResponse({"error": "unauthenticated"}, status_code=401)
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = conn.execute(SEARCH, {"clinics": caller["clinics"], "pattern": pattern}).fetchall()
        ids = [r["id"] for r in rows]
        conn.execute(
            "SELECT b.* FROM body_measurements b JOIN patients p ON p.id = b.patient_id "
            "WHERE p.clinic_id = ANY(%s) AND b.patient_id = ANY(%s) ORDER BY b.measured_at, b.id",
            (caller["clinics"], ids),
        ).fetchall()
        for clinic_id in caller["clinics"]:
            _audit(
                conn,
                caller,
                request,
                "patient.search",
                clinic_id,
                None,
                {"q": q, "patient_ids": ids},
            )
    total = rows[0]["total"] if rows else 0
    return _json({"items": rows, "total": total, "page": 1, "page_size": 50})


def board(request: Request) -> Response:
    with _transaction() as conn:
        try:
            caller = _caller(conn, request)
        except Refused:
            return JSONResponse({"error": "unauthenticated"}, status_code=401)
        clinic_id = caller["clinics"][0]
        today = utcnow().date()
        chairs = conn.execute(
            "SELECT * FROM chairs WHERE clinic_id = %s ORDER BY id", (clinic_id,)
        ).fetchall()
        visits = conn.execute(BOARD, (clinic_id, today, today)).fetchall()
        _audit(conn, caller, request, "board.read", clinic_id, None, {"patients": []})
    return _json({"clinic_id": clinic_id, "chairs": chairs, "visits": visits})


def healthz(request: Request) -> Response:
    with _transaction() as conn:
        conn.execute("SELECT 1")
    return JSONResponse({"status": "ok", "database": "postgresql"})


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/api/v1/patients", search),
        Route("/api/v1/patients/{patient_id:int}", chart),
        Route("/api/v1/board", board),
    ]
)
