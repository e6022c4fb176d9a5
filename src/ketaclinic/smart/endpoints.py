"""SMART Backend Services over HTTP: the token endpoint (``POST /fhir/auth/token``,
form-encoded, answering OAuth's JSON), the SMART configuration documents, and
``GET /fhir/auth/introspect`` (what the caller's own bearer token stands for)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ketaclinic.auth.deps import origin_of
from ketaclinic.identity.scopes import render
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.forms import text
from ketaclinic.kit.web import DbSession, Form
from ketaclinic.smart.assertion import ALGORITHMS
from ketaclinic.smart.deps import TOKEN_PATH, SmartCaller, token_url
from ketaclinic.smart.errors import OAuthError
from ketaclinic.smart.service import tokens

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# What a backend client may ask for: every resource, read and search (the FHIR
# server reads only). The registered client's own scopes narrow it further.
SCOPES_SUPPORTED = ("system/*.rs", "system/*.read", "user/*.rs", "user/*.read")

router = APIRouter(include_in_schema=False)


def _exchange(request: Request, db: Session, form: tokens.TokenRequest) -> Response:
    set_visible_clinics(db, "*")  # system work: the signed assertion is the key
    try:
        issued = tokens.exchange(
            db, form, token_url=token_url(request), origin=origin_of(request, "api")
        )
    except OAuthError as exc:
        headers = dict(NO_STORE)
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = 'Bearer error="invalid_client"'
        return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=headers)
    return JSONResponse(issued.to_body(), headers=NO_STORE)


@router.post(TOKEN_PATH)
async def token(request: Request, form: Form, db: DbSession) -> Response:
    """client_credentials with a signed JWT assertion (SMART Backend Services)."""
    asked = tokens.TokenRequest(
        grant_type=text(form, "grant_type"),
        client_assertion_type=text(form, "client_assertion_type"),
        client_assertion=text(form, "client_assertion"),
        scope=text(form, "scope"),
    )
    return await run_in_threadpool(_exchange, request, db, asked)


def smart_configuration(request: Request) -> dict[str, Any]:
    return {
        "token_endpoint": token_url(request),
        "grant_types_supported": [tokens.GRANT_TYPE],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "capabilities": ["client-confidential-asymmetric", "permission-v2", "permission-v1"],
    }


@router.get("/.well-known/smart-configuration")
async def well_known(request: Request) -> dict[str, Any]:
    return smart_configuration(request)


@router.get("/fhir/.well-known/smart-configuration")
async def fhir_well_known(request: Request) -> dict[str, Any]:
    return smart_configuration(request)


@router.get("/fhir/auth/introspect")
def introspect(caller: SmartCaller) -> dict[str, Any]:
    """The caller's own token: who it acts as, in which clinics, with which scopes."""
    p = caller.principal
    return {
        "active": True,
        "scope": render(caller.scopes),
        "actor": p.email,  # fhir-client:<id> for a backend client
        "name": p.name,
        "clinic_ids": sorted(p.roles),
        "roles": sorted({r.value for r in p.roles.values()}),
    }
