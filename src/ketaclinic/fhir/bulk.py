"""FHIR Bulk Data export (the Bulk Data Access IG, v2): a kick-off records what was
asked and the job runner writes one NDJSON file per resource type, patients a chunk
at a time, so memory stays the same whatever the clinic's size. The caller polls the
status address until the manifest lists the files, downloads them with the same
authorisation, and may delete the export (files and all).

Levels: the whole system (every resource type the server serves), ``Patient`` (the
patient compartment: every type that belongs to a patient) and a ``Group``: one per
clinic, named by the clinic's slug, holding its patients.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.clinics.models import Clinic
from ketaclinic.fhir import bulk_read, catalog
from ketaclinic.fhir.catalog import Scope
from ketaclinic.fhir.errors import FhirExportNotFound, FhirInvalidParameter, FhirTooManyExports
from ketaclinic.fhir.export_models import FhirExport
from ketaclinic.fhir.mapping_care import ProtocolFacts
from ketaclinic.fhir.search import RESOURCE_TYPES
from ketaclinic.fhir.shapes import instant
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission
from ketaclinic.kit.jobs import enqueue_after_commit
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import as_utc, utcnow
from ketaclinic.patients.models import Patient
from ketaclinic.smart.deps import Caller, require_scope

JOB = "fhir.bulk_export"
NDJSON = "application/fhir+ndjson"
OUTPUT_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})
# Types outside any patient's compartment: the system level only.
NOT_PATIENT = frozenset({"Practitioner", "PractitionerRole", "Organization", "Location"})
NOT_PATIENT |= {"Questionnaire"}
PATIENT_TYPES = tuple(t for t in RESOURCE_TYPES if t not in NOT_PATIENT)
CHUNK = 1000  # patients mapped at a time
WRITE_BUFFER = 1 << 20  # bytes: a file is written in large blocks, not a line at a time
NEWLINE = orjson.OPT_APPEND_NEWLINE
PROGRESS_EVERY = 5  # chunks between progress notes (each one a commit)
OPEN_PER_CALLER = 2  # exports not finished that one caller may have at once


@dataclass(frozen=True)
class Asked:
    level: str  # system, patient, group
    group: str | None
    types: str | None
    since: str | None
    output_format: str | None
    request_url: str


def _types(asked: Asked) -> list[str]:
    allowed = RESOURCE_TYPES if asked.level == "system" else PATIENT_TYPES
    if not asked.types:
        return list(allowed)
    wanted = [t.strip() for t in asked.types.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in allowed]
    if unknown or not wanted:
        where = "this server" if asked.level == "system" else "a patient's compartment"
        raise FhirInvalidParameter(
            f"_type: {', '.join(unknown) or 'none'} not exported from {where}; "
            f"choose from {', '.join(allowed)}",
            "_type",
        )
    return list(dict.fromkeys(wanted))


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise FhirInvalidParameter(
            "_since: a FHIR instant with its time zone, e.g. 2026-11-01T00:00:00Z", "_since"
        )
    return as_utc(moment)


def _who(caller: Caller) -> dict[str, int | None]:
    if caller.client_id is not None:
        return {"requested_by_id": None, "requested_by_client_id": caller.client_id}
    return {"requested_by_id": caller.principal.user_id, "requested_by_client_id": None}


def _allowed_clinics(caller: Caller) -> list[int]:
    """A staff member exports with ``records.export`` (administrators); a backend
    client an administrator registered reads with its role (``patient.read``) and its
    ``system/`` scopes say which types."""
    if caller.client_id is not None:
        return caller.principal.require_any(Permission.PATIENT_READ)
    return caller.principal.require_any(Permission.RECORDS_EXPORT)


def kick_off(db: Session, caller: Caller, asked: Asked) -> FhirExport:
    """Record an export and ask the job runner for it (after this transaction commits)."""
    principal = caller.principal
    clinic_ids = _allowed_clinics(caller)
    if asked.output_format and asked.output_format not in OUTPUT_FORMATS:
        raise FhirInvalidParameter(f"_outputFormat: only {NDJSON} is written", "_outputFormat")
    types, since = _types(asked), _since(asked.since)
    for resource_type in types:  # every type exported needs a scope that reads it
        require_scope(caller.scopes, resource_type, "read")
    if asked.level == "group":
        clinic = db.scalar(
            in_clinics(select(Clinic), Clinic.id, clinic_ids).where(Clinic.slug == asked.group)
        )
        if clinic is None:
            raise FhirExportNotFound("No Group with that id (a group is one of your clinics).")
        clinic_ids = [clinic.id]
    who = _who(caller)
    open_ones = select(FhirExport.id).where(
        FhirExport.requested_by_id == who["requested_by_id"]
        if who["requested_by_id"] is not None
        else FhirExport.requested_by_client_id == who["requested_by_client_id"],
        FhirExport.status.in_(("queued", "running")),
    )
    if len(db.scalars(open_ones).all()) >= OPEN_PER_CALLER:
        raise FhirTooManyExports(
            f"{OPEN_PER_CALLER} of your exports are still running: wait for one, or delete it."
        )
    now = utcnow()
    export = FhirExport(
        id=secrets.token_hex(16),
        **who,
        clinic_ids=",".join(str(c) for c in sorted(clinic_ids)),
        level=asked.level,
        types=",".join(types),
        since=since,
        request_url=asked.request_url[:2000],
        status="queued",
        progress="waiting to start",
        files="[]",
        resources=0,
        transaction_time=now,
        created_at=now,
    )
    db.add(export)
    db.flush()
    for clinic_id in clinic_ids:
        audit.record(
            db,
            principal,
            "fhir.export_requested",
            clinic_id=clinic_id,
            resource_type="fhir_export",
            resource_id=export.id,
            detail={"level": asked.level, "types": types, "since": asked.since},
        )
    enqueue_after_commit(db, JOB)
    return export


def mine(db: Session, caller: Caller, export_id: str) -> FhirExport:
    """The caller's own export (anyone else's is as if it did not exist)."""
    _allowed_clinics(caller)
    export = db.get(FhirExport, export_id) if len(export_id) == 32 else None
    who = _who(caller)
    if export is None or (
        export.requested_by_id,
        export.requested_by_client_id,
    ) != (who["requested_by_id"], who["requested_by_client_id"]):
        raise FhirExportNotFound()
    if export.status == "cancelled":
        raise FhirExportNotFound("That export was deleted.")
    return export


def clinics_of(export: FhirExport) -> list[int]:
    return [int(c) for c in export.clinic_ids.split(",") if c]


def manifest(export: FhirExport, base_url: str) -> dict[str, Any]:
    files = json.loads(export.files)
    return {
        "transactionTime": instant(export.transaction_time),
        "request": export.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": f["type"],
                "url": f"{base_url}/bulk/{export.id}/{f['name']}",
                "count": f["count"],
            }
            for f in files
        ],
        "error": [],
    }


def cancel(db: Session, principal: Principal, export: FhirExport, directory: Path) -> None:
    """Stop it (a running job notices at its next chunk) and delete its files."""
    db.execute(
        update(FhirExport)
        .where(FhirExport.id == export.id)
        .values(status="cancelled", finished_at=utcnow(), files="[]")
        .execution_options(synchronize_session=False)
    )
    shutil.rmtree(directory / export.id, ignore_errors=True)
    for clinic_id in clinics_of(export):
        audit.record(
            db,
            principal,
            "fhir.export_deleted",
            clinic_id=clinic_id,
            resource_type="fhir_export",
            resource_id=export.id,
        )


def file_of(export: FhirExport, name: str, directory: Path) -> tuple[Path, dict[str, Any]]:
    files = {f["name"]: f for f in json.loads(export.files)}
    if export.status != "done" or name not in files:
        raise FhirExportNotFound("No such file in this export.")
    return directory / export.id / name, files[name]


def record_download(
    db: Session, principal: Principal, export: FhirExport, entry: Mapping[str, Any]
) -> None:
    for clinic_id in clinics_of(export):
        audit.record(
            db,
            principal,
            "fhir.export_downloaded",
            clinic_id=clinic_id,
            resource_type="fhir_export",
            resource_id=export.id,
            detail={"type": entry["type"], "count": entry["count"]},
        )


# The job's side ------------------------------------------------------------------


def claim_next(db: Session, only: str | None = None) -> FhirExport | None:
    """Take the oldest queued export (or ``only`` that one): one conditional UPDATE
    only one worker wins."""
    stmt = select(FhirExport.id).where(FhirExport.status == "queued")
    if only is not None:
        stmt = stmt.where(FhirExport.id == only)
    for export_id in db.scalars(stmt.order_by(FhirExport.created_at, FhirExport.id)).all():
        won = db.execute(
            update(FhirExport)
            .where(FhirExport.id == export_id, FhirExport.status == "queued")
            .values(status="running", progress="starting")
            .execution_options(synchronize_session=False)
        )
        db.commit()
        if getattr(won, "rowcount", 0) == 1:
            return db.get(FhirExport, export_id, populate_existing=True)
    return None


class Cancelled(Exception):
    """The export was deleted while it ran."""


def write(
    db: Session, export: FhirExport, directory: Path, protocols: Mapping[str, ProtocolFacts]
) -> None:
    """Write every file of ``export`` (committing its progress as it goes)."""
    clinic_ids = clinics_of(export)
    scope = Scope(clinic_ids, protocols)
    since = _since_text(export.since)
    folder = directory / export.id
    folder.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, Any]] = []
    total = 0
    types = export.types.split(",")
    for number, resource_type in enumerate(types, start=1):
        path = folder / f"{resource_type}.ndjson"
        count = 0
        _progress(db, export.id, f"{resource_type} ({number} of {len(types)}): starting")
        with path.open("wb", buffering=WRITE_BUFFER) as out:
            for done, made in enumerate(_chunks(db, resource_type, scope), start=1):
                for resource in made:
                    if since is None or _updated(resource) >= since:
                        out.write(orjson.dumps(resource, default=str, option=NEWLINE))
                        count += 1
                db.expunge_all()  # mapped rows go: memory stays flat
                if done % PROGRESS_EVERY == 0:
                    _progress(db, export.id, f"{resource_type} ({number} of {len(types)}): {count}")
        if count:
            files.append({"type": resource_type, "name": path.name, "count": count})
            total += count
        else:
            path.unlink()
    export = db.get(FhirExport, export.id, populate_existing=True) or export
    export.files = json.dumps(files)
    export.resources = total
    export.status = "done"
    export.progress = "done"
    export.finished_at = utcnow()
    for clinic_id in clinic_ids:
        audit.record(
            db,
            None,
            "fhir.export_written",
            clinic_id=clinic_id,
            resource_type="fhir_export",
            resource_id=export.id,
            detail={"resources": total, "files": [f["name"] for f in files]},
            actor="job:fhir.bulk_export",
        )
    db.commit()


def _chunks(db: Session, resource_type: str, scope: Scope) -> Iterator[Iterator[dict[str, Any]]]:
    """The resources of one type a part at a time: pages of plain rows, then chunks of
    patients (keyset on the patient's id) for the builders, or all at once for types
    that are not a patient's."""
    if resource_type in NOT_PATIENT:
        yield (found.resource for found in catalog.build(db, resource_type, scope, None, None))
        return
    found = bulk_read.sources(db, resource_type, scope.clinic_ids)
    yield from bulk_read.pages(db, scope, found)
    if not any(isinstance(s, bulk_read.Built) for s in found):
        return
    after = 0
    while True:
        stmt = select(Patient.id).where(Patient.id > after).order_by(Patient.id).limit(CHUNK)
        ids = list(db.scalars(in_clinics(stmt, Patient.clinic_id, scope.clinic_ids)))
        if not ids:
            return
        # The clinics' patients from the first id to the last are exactly this chunk:
        # asked for as a range (one BETWEEN) rather than a list of a thousand ids.
        yield bulk_read.built(db, scope, found, range(ids[0], ids[-1] + 1))
        after = ids[-1]


def _since_text(since: datetime | None) -> str | None:
    """``_since`` as the instant a resource's ``meta.lastUpdated`` (to the second)
    must reach: rounded up to the next second when it has a fraction, so comparing
    the two texts (same format, same width) is comparing the moments."""
    if since is None:
        return None
    since = as_utc(since)
    if since.microsecond:
        since = since.replace(microsecond=0) + timedelta(seconds=1)
    return instant(since)


def _updated(resource: Mapping[str, Any]) -> str:
    return str(resource.get("meta", {}).get("lastUpdated", "1970-01-01T00:00:00Z"))


def _progress(db: Session, export_id: str, text: str) -> None:
    status = db.scalar(select(FhirExport.status).where(FhirExport.id == export_id))
    if status != "running":
        raise Cancelled()
    db.execute(
        update(FhirExport)
        .where(FhirExport.id == export_id, FhirExport.status == "running")
        .values(progress=text[:200])
        .execution_options(synchronize_session=False)
    )
    db.commit()


def fail(db: Session, export_id: str, error: str) -> None:
    db.rollback()
    db.execute(
        update(FhirExport)
        .where(FhirExport.id == export_id, FhirExport.status == "running")
        .values(status="failed", error=error[:2000], finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.commit()
