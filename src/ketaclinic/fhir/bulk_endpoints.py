"""Bulk Data export routes (FHIR Bulk Data Access IG v2): kick-off at the system,
Patient and Group levels (202 with ``Content-Location``), the status address (202 with
``X-Progress`` while it runs, then 200 with the manifest; DELETE cancels), and the
NDJSON files, streamed from disk with the same authorisation. Mounted before the
read routes, whose ``/fhir/Patient/{id}`` would otherwise take ``$export``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from ketaclinic.fhir import bulk
from ketaclinic.fhir.errors import FHIR_JSON, FhirExportNotFound, FhirInvalidParameter
from ketaclinic.kit.web import DbSession
from ketaclinic.smart.deps import SmartCaller

router = APIRouter(prefix="/fhir", include_in_schema=False)
KNOWN = frozenset({"_type", "_since", "_outputFormat"})


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _asked(request: Request, level: str, group: str | None = None) -> bulk.Asked:
    params = request.query_params
    for name in params:
        if name not in KNOWN:
            raise FhirInvalidParameter(
                f"{name}: not a parameter of $export here (use _type, _since, _outputFormat)",
                name,
            )
    return bulk.Asked(
        level=level,
        group=group,
        types=",".join(params.getlist("_type")) or None,
        since=params.get("_since"),
        output_format=params.get("_outputFormat"),
        request_url=str(request.url),
    )


def _accepted(request: Request, export_id: str) -> Response:
    return Response(
        status_code=202, headers={"Content-Location": f"{_base(request)}/bulk/{export_id}"}
    )


@router.get("/$export")
def export_system(request: Request, db: DbSession, caller: SmartCaller) -> Response:
    return _accepted(request, bulk.kick_off(db, caller, _asked(request, "system")).id)


@router.get("/Patient/$export")
def export_patients(request: Request, db: DbSession, caller: SmartCaller) -> Response:
    return _accepted(request, bulk.kick_off(db, caller, _asked(request, "patient")).id)


@router.get("/Group/{group_id}/$export")
def export_group(request: Request, group_id: str, db: DbSession, caller: SmartCaller) -> Response:
    asked = _asked(request, "group", group_id[:100])
    return _accepted(request, bulk.kick_off(db, caller, asked).id)


@router.get("/bulk/{export_id}")
def export_status(request: Request, export_id: str, db: DbSession, caller: SmartCaller) -> Response:
    export = bulk.mine(db, caller, export_id)
    if export.status in ("queued", "running"):
        return Response(
            status_code=202, headers={"X-Progress": export.progress, "Retry-After": "2"}
        )
    if export.status == "failed":
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "fatal", "code": "exception", "diagnostics": export.error}],
        }
        return JSONResponse(outcome, status_code=500, media_type=FHIR_JSON)
    return JSONResponse(bulk.manifest(export, _base(request)))


@router.delete("/bulk/{export_id}")
def export_delete(request: Request, export_id: str, db: DbSession, caller: SmartCaller) -> Response:
    export = bulk.mine(db, caller, export_id)
    bulk.cancel(db, caller.principal, export, request.app.state.settings.data_dir / "fhir-exports")
    return Response(status_code=202)


@router.get("/bulk/{export_id}/{file_name}")
def export_file(
    request: Request, export_id: str, file_name: str, db: DbSession, caller: SmartCaller
) -> Response:
    export = bulk.mine(db, caller, export_id)
    path, entry = bulk.file_of(
        export, file_name, request.app.state.settings.data_dir / "fhir-exports"
    )
    if not path.is_file():
        raise FhirExportNotFound("That file is gone (the export was deleted).")
    bulk.record_download(db, caller.principal, export, entry)
    return FileResponse(path, media_type=bulk.NDJSON, filename=file_name)
