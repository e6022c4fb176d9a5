"""The FHIR R4 endpoint at /fhir: the CapabilityStatement, and read and search for
each resource type. One route per type and interaction (no generic segment), every
one named in ``identity.routes.ROUTE_RULES``; left out of the JSON API's OpenAPI
document (the CapabilityStatement describes them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ketaclinic.fhir import service
from ketaclinic.fhir.capability import capability_statement
from ketaclinic.fhir.deps import protocol_facts, require_fhir
from ketaclinic.fhir.errors import FHIR_JSON, FhirResourceNotFound
from ketaclinic.fhir.search import RESOURCE_TYPES
from ketaclinic.fhir.shapes import instant
from ketaclinic.kit.time import utcnow
from ketaclinic.kit.web import DbSession
from ketaclinic.smart.deps import SmartCaller, token_url

router = APIRouter(prefix="/fhir", include_in_schema=False)
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def fhir_response(body: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, media_type=FHIR_JSON)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


@router.get("/metadata")
async def metadata(request: Request) -> JSONResponse:
    """What this server supports (public, as FHIR clients expect)."""
    statement = capability_statement(base_url(request), instant(utcnow()), token_url(request))
    return fhir_response(statement)


def _search(resource_type: str) -> Callable[..., Any]:
    def search(request: Request, db: DbSession, caller: SmartCaller) -> JSONResponse:
        clinic_ids = require_fhir(caller, resource_type, "search-type")
        principal = caller.principal
        bundle = service.search(
            db,
            principal,
            clinic_ids,
            resource_type,
            request.query_params.multi_items(),
            base_url(request),
            protocol_facts(request),
        )
        return fhir_response(bundle)

    search.__name__ = f"search_{resource_type.lower()}"
    return search


def _read(resource_type: str) -> Callable[..., Any]:
    def read(
        request: Request, resource_id: str, db: DbSession, caller: SmartCaller
    ) -> JSONResponse:
        clinic_ids = require_fhir(caller, resource_type, "read")
        principal = caller.principal
        if not FHIR_ID.match(resource_id):
            raise FhirResourceNotFound(f"No {resource_type} with that id.")
        found = service.read(
            db, principal, clinic_ids, resource_type, resource_id, protocol_facts(request)
        )
        return fhir_response(found)

    read.__name__ = f"read_{resource_type.lower()}"
    return read


for _type in RESOURCE_TYPES:
    router.add_api_route(f"/{_type}", _search(_type), methods=["GET"])
    router.add_api_route(f"/{_type}/{{resource_id}}", _read(_type), methods=["GET"])
