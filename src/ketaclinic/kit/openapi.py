"""The API's description, told once for every operation, and the page that shows it.

``describe(app, access)`` post-processes FastAPI's generated OpenAPI once (then it is
cached): the bearer security scheme, the requirement on every operation that is not
public, and every error an operation can answer — with the envelope's schema and the
codes for that status — so no route repeats them. ``access(method, path)`` says who
may call (None = anyone); the app passes the route rules in, kit imports no domain.

Which errors each operation documents, and why:

- 401 and 403 when the route is not public (``authorize`` runs before anything else);
- 404 when the path has a parameter (an impossible one is a 404 too, app.py) or the
  body names a record by id;
- 409 on writes (a state that refuses the change, or a race lost);
- 413 when there is a body (kit.limits refuses it before reading);
- 422 always (a control character in any query is refused, kit.limits), 500 always.

A route's own ``responses=`` keeps its wording; the schema and codes come from here.

``add_docs_page(app)`` serves Swagger UI at ``/api/docs`` from the pinned
``swagger-ui-py`` package's files (never a CDN); our own ``web/static/api-docs.js``
starts it, as the CSP allows no inline script.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from ketaclinic.kit.errors import KetaClinicError

# Who may call (method, path): None when anyone may, else words naming the rule.
Access = Callable[[str, str], str | None]

SCHEME = "bearerAuth"
WRITES = frozenset({"post", "put", "patch", "delete"})
# Codes answered outside the KetaClinicError family (app._on_http_error).
EXTRA_CODES: dict[int, tuple[str, ...]] = {400: ("http_error",), 404: ("not_found",)}
WHY: dict[int, str] = {
    400: "The body is not JSON the server can parse.",
    401: "Not signed in: the API token is missing, unknown or revoked.",
    403: "Your role may not do this in that clinic (a browser session also needs its "
    "CSRF token on writes, and two-factor set up where the clinic requires it).",
    404: "No such record in your clinics (an impossible id in the path included).",
    409: "The record's state refuses this, or it changed meanwhile; reload and retry.",
    413: "The body is larger than the server's limit; it was not read.",
    422: "A field is invalid (or holds a control character); `error.fields` names each.",
    500: "Our fault, nothing was saved; quote `error.request_id` to your administrator.",
}


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, for programs; one of the codes listed")
    message: str = Field(description="For people")
    fields: dict[str, str] = Field(
        description="Each invalid field's message by its dotted name; empty otherwise"
    )


class ErrorEnvelope(BaseModel):
    """Every API error: ``{"error": {"code", "message", "fields"}}``."""

    error: ErrorBody


def error_codes() -> dict[int, list[str]]:
    """Every code each status can carry, read from the error classes themselves (the
    app has imported every domain by the time its description is asked for)."""
    found: dict[int, set[str]] = {s: set(c) for s, c in EXTRA_CODES.items()}
    pending: list[type[KetaClinicError]] = [KetaClinicError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls is not KetaClinicError and not cls.pages_only:
            found.setdefault(cls.status_code, set()).add(cls.code)
    return {status: sorted(codes) for status, codes in found.items()}


def envelope_schema(status: int, codes: list[str]) -> dict[str, Any]:
    """The envelope with ``code`` narrowed to this status's codes."""
    body = ErrorBody.model_json_schema()
    body["properties"]["code"]["enum"] = codes
    body["title"] = f"Error{status}Body"
    if status == 500:
        body["properties"]["request_id"] = {"type": "string", "title": "Request Id"}
        body["required"] = [*body["required"], "request_id"]
    envelope = ErrorEnvelope.model_json_schema(ref_template="{model}")
    envelope["properties"]["error"] = body
    envelope.pop("$defs", None)
    envelope["title"] = f"Error{status}"
    envelope["description"] = f"{WHY.get(status, 'Refused.')} Codes: {', '.join(codes)}."
    return envelope


def _names_a_record(op: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether the JSON body carries an id of another record (``..._id``)."""
    content = op.get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
    return any(name.endswith("_id") for name in properties)


def _statuses(path: str, method: str, op: dict[str, Any], schemas: dict[str, Any]) -> set[int]:
    statuses = {422, 500}
    if op.get("security"):
        statuses |= {401, 403}
    if "{" in path or _names_a_record(op, schemas):
        statuses.add(404)
    if method in WRITES:
        statuses.add(409)
    if "requestBody" in op:
        statuses |= {400, 413}
    declared = {int(s) for s in op.get("responses", {}) if s.isdigit() and int(s) >= 400}
    return statuses | declared


# The text kit.limits lets through: no control characters but tab, line feed and
# carriage return, in any query value, JSON string or JSON key.
NO_CONTROL = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"


def _refused_text(node: Any) -> None:
    """Say on every free-text string (and object key) what kit.limits refuses."""
    if isinstance(node, list):
        for item in node:
            _refused_text(item)
        return
    if not isinstance(node, dict) or "$ref" in node:
        return
    if node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(node):
        node["pattern"] = NO_CONTROL
    if node.get("type") == "object" and "additionalProperties" in node:
        node.setdefault("propertyNames", {"pattern": NO_CONTROL})
        if node["additionalProperties"] is True:
            node["additionalProperties"] = {"$ref": f"#/components/schemas/{FREE_JSON}"}
    for key in ("properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties"):
        value = node.get(key)
        _refused_text(
            list(value.values()) if isinstance(value, dict) and key == "properties" else value
        )


def _request_schemas(schema: dict[str, Any]) -> set[str]:
    """Names of the component schemas a request body can hold, nested ones included."""
    schemas = schema.get("components", {}).get("schemas", {})
    pending = re.findall(r'"#/components/schemas/([^"]+)"', _bodies(schema))
    found: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in found and name in schemas:
            found.add(name)
            pending += re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schemas[name]))
    return found


def _bodies(schema: dict[str, Any]) -> str:
    ops = [op for item in schema.get("paths", {}).values() for op in item.values()]
    return json.dumps([op["requestBody"] for op in ops if "requestBody" in op])


CONVENTIONS = """\
**Lists.** Every list answers one envelope: `{"items": [...], "total": N, "page": P,
"page_size": S}`; `total` counts every item on every page. Lists take `page` (from 1)
and `page_size` (1 to 100, default 50).

**Query parameters.** A parameter an operation does not take (`limit`, `offset`, a
typo) is refused with 422 naming it, never ignored.

**Decimals** (amounts in mg, weights, rates) are JSON numbers, in requests and in
answers, exact to the places each field keeps (mg to 0.001, kg to 0.1). Dates are
`YYYY-MM-DD` text and date-times ISO 8601 text; yes/no fields are `true`/`false`:
a number is never read as any of them.

**Errors** are `{"error": {"code", "message", "fields"}}`. A request can be well
formed and still break a rule JSON Schema cannot state (a date against today, one
field against another): such operations list those rules under `x-rules` on their
422 response."""


def document(schema: dict[str, Any], access: Access) -> dict[str, Any]:
    """Add security, error responses and the API's conventions to a generated
    description, in place."""
    info = schema.setdefault("info", {})
    info["description"] = f"{info.get('description', '')}\n\n{CONVENTIONS}".strip()
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    components["securitySchemes"] = {
        SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`ketaclinic token create --email …`). A signed-in "
            "browser's session cookie works too, with `X-CSRF-Token` on writes.",
        }
    }
    codes = error_codes()
    for name in _request_schemas(schema):
        _refused_text(schemas[name])
        _number_only(schemas[name])
    schemas[FREE_JSON] = _free_json()
    used: set[int] = set()
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            who = access(method.upper(), path)
            if who is not None:
                op["security"] = [{SCHEME: []}]
            said_before = op.get("description", "")
            op["description"] = f"{said_before}\n\n**Access:** {who or 'public'}.".strip()
            for param in op.get("parameters", []):
                if param.get("in") == "query":
                    _refused_text(param.get("schema"))
            _refused_text(op.get("requestBody", {}).get("content"))
            _number_only(op.get("requestBody", {}).get("content"))
            responses = op.setdefault("responses", {})
            rules = BUSINESS_RULES.get(f"{method.upper()} {path}", ())
            for status in sorted(_statuses(path, method, op, schemas)):
                declared = responses.get(str(status), {})
                if "content" in declared and status != 422:
                    continue  # a body of the route's own (GET /healthz's 503)
                said = declared.get("description", "")
                if not said or said == "Validation Error":  # FastAPI's default for 422
                    said = WHY.get(status, "Refused.")
                if status == 422 and rules:
                    said += " Also refused, though well formed: " + "; ".join(rules) + "."
                responses[str(status)] = {
                    "description": said,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/Error{status}"}
                        }
                    },
                }
                if status == 422 and rules:
                    responses[str(status)][RULES_KEY] = list(rules)
                used.add(status)
    for status in sorted(used):
        schemas[f"Error{status}"] = envelope_schema(status, codes.get(status, ["http_error"]))
    # FastAPI's own 422 shapes are never answered (app.py renders the envelope) and
    # no operation refers to them any more.
    if "HTTPValidationError" not in json.dumps(schema.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return schema


# Rules a well-formed request can still break, which JSON Schema cannot say (a date
# against today, one field against another, a value against the clinic's data):
# these operations answer 422 naming the field, and say so under ``x-rules`` of
# their 422 response, where the fuzzing campaign and the suite's fuzz test read
# them. Everything JSON Schema can say is in the schema instead.
BUSINESS_RULES: dict[str, tuple[str, ...]] = {
    "POST /api/v1/billing/fees": ("code is one of the codes GET /api/v1/billing/fees lists",),
    "POST /api/v1/billing/charges/{line_id}/corrections": (
        "reason has at least 3 characters besides spaces",
        "code is a code in effect on the line's date of service",
        "units is given with code",
    ),
    "POST /api/v1/billing/packages": (
        "name has at least 3 characters besides spaces",
        "key names a package of the clinic",
    ),
    "POST /api/v1/patients/{patient_id}/account/refunds": (
        "amount_cents is at most what is left to refund of the payment",
        "reason has at least 3 characters besides spaces",
    ),
    "POST /api/v1/patients/{patient_id}/account/adjustments": (
        "amount_cents is not zero",
        "note has at least 3 characters besides spaces",
    ),
    "POST /api/v1/booster-suggestions/{suggestion_id}/dismiss": (
        "reason has at least 3 characters besides spaces",
    ),
    "PUT /api/v1/admin/settings/{key}": (
        "key is one of the clinic settings GET /api/v1/admin/settings lists",
        "value is within that setting's accepted range",
    ),
    "POST /api/v1/admin/staff": ("clinic_id is a clinic you administer",),
    "PUT /api/v1/admin/staff/{user_id}/roles/{clinic_id}": (
        "clinic_id is a clinic you administer",
    ),
    "GET /api/v1/patients/{patient_id}/plans/{plan_id}/availability": (
        "until_time is after from_time",
    ),
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/appointments": (
        "availability: until_time is after from_time",
        "option is one of the proposals",
    ),
    "POST /api/v1/patients": ("phone is a real number", "email is an address", "dates"),
    "PATCH /api/v1/patients/{patient_id}": ("phone is a real number", "email is an address"),
    "POST /api/v1/inquiries/{inquiry_id}/convert": (
        "birth_date is not in the future",
        "phone is a real number",
        "email is an address",
    ),
    "POST /api/v1/patients/{patient_id}/measurements": (
        "weight_kg, height_cm or both",
        "measured_at is not in the future",
    ),
    "POST /api/v1/patients/{patient_id}/contacts": ("phone is a real number",),
    "POST /api/v1/patients/{patient_id}/diagnoses": ("code is an ICD-10-CM code",),
    "POST /api/v1/patients/{patient_id}/questionnaire-links": (
        "instrument_id names a questionnaire the patient completes",
    ),
    "POST /api/v1/patients/{patient_id}/responses": (
        "every required answer given, each one of the instrument's options",
    ),
    "POST /api/v1/patients/{patient_id}/treatments": ("given_at is not in the future",),
    "POST /api/v1/patients/{patient_id}/intake": ("facts: the screening vocabulary's facts",),
    "POST /api/v1/patients/{patient_id}/screenings": ("rule_set_id names a rule set in force",),
    "POST /api/v1/patients/{patient_id}/plans": (
        "protocol_id names a protocol in force",
        "start_date is not in the past",
        "the dose inside the protocol's limits",
    ),
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/revise": (
        "protocol_id names a protocol in force",
        "start_date is not in the past",
        "the dose inside the protocol's limits",
    ),
    "POST /api/v1/patients/{patient_id}/plans/{plan_id}/dose-checks": (
        "session_number is one of the plan's sessions",
    ),
    "POST /api/v1/appointments/{appointment_id}/reschedule": (
        "starts_at is one of the suggested times",
    ),
    "POST /api/v1/appointments/{appointment_id}/session": ("checked in on the visit's day",),
    "PUT /api/v1/schedule/roster": (
        "each user is a nurse or prescriber of the clinic",
        "ends after starts",
    ),
    "POST /api/v1/sessions/{session_id}/adverse-events": ("effect from the vocabulary",),
    "POST /api/v1/sessions/{session_id}/rescue-medications": ("drug from the vocabulary",),
    "POST /api/v1/sessions/{session_id}/alerts/{alert_id}/acknowledge": (
        "action from the alert's actions",
    ),
    "POST /api/v1/sessions/{session_id}/vitals": ("each value physically possible",),
    "POST /api/v1/sessions/{session_id}/actions": ("a rate change says why",),
    "POST /api/v1/sessions/{session_id}/release": (
        "drawn_mg with one container, or a second_container_id whose two containers "
        "together hold the dose (first_mg and second_mg both or neither, adding up to it)",
    ),
    "POST /api/v1/sessions/{session_id}/end": ("the witness's own credentials",),
    "POST /api/v1/sessions/{session_id}/stop": ("the witness's own credentials",),
    "POST /api/v1/appointments/{appointment_id}/escort": (
        "escort: at least 2 characters besides the white space around them",
    ),
    "PUT /api/v1/sessions/{session_id}/rems": ("fields: the REMS form's fields",),
    "GET /api/v1/ledger/reports/{report_kind}": ("patient_id for the patient report",),
    # The ledger names a record of another clinic (or none) in the body as a field
    # error, as its pages do.
    "POST /api/v1/ledger/draws": (
        "container_id, patient_id and session_id name records of your clinic",
        "the container holds the amount",
    ),
    "POST /api/v1/ledger/receipts": ("location_id and product_id name records of your clinic",),
    "POST /api/v1/ledger/counts": ("location_id names a location of your clinic",),
    "POST /api/v1/ledger/draws/{draw_id}/corrections": (
        "entry_id names an administer, waste or return entry of this draw",
    ),
    "POST /api/v1/ledger/containers/{container_id}/transfer": (
        "to_location_id names another location of the container's clinic",
    ),
}
RULES_KEY = "x-rules"


def _number_only(node: Any) -> None:
    """A request's decimal is a JSON number (the API's one form for amounts): the
    string pydantic would also read is not offered to clients."""
    if isinstance(node, list):
        for item in node:
            _number_only(item)
        return
    if not isinstance(node, dict):
        return
    branches = node.get("anyOf")
    if isinstance(branches, list):
        types = [b.get("type") for b in branches if isinstance(b, dict)]
        if "number" in types and "string" in types:
            node["anyOf"] = [b for b in branches if b.get("type") != "string"]
            if len(node["anyOf"]) == 1:
                node.update(node.pop("anyOf")[0])
    for value in node.values():
        if isinstance(value, dict | list):
            _number_only(value)


# Any JSON value whose text holds no control character (kit.limits refuses them).
FREE_JSON = "FreeJson"


def _free_json() -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{FREE_JSON}"}
    return {
        "description": "Any JSON value; no text in it holds a control character.",
        "anyOf": [
            {"type": "string", "pattern": NO_CONTROL},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": ref},
            {
                "type": "object",
                "propertyNames": {"pattern": NO_CONTROL},
                "additionalProperties": ref,
            },
        ],
    }


def describe(app: FastAPI, access: Access) -> None:
    """Make ``app.openapi()`` return the documented description, built once."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate(), access)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# --- the docs page --------------------------------------------------------------

DOCS_PATH = "/api/docs"
ASSETS = "/static/swagger-ui"


def swagger_ui_dir() -> Path:
    """The installed swagger-ui-py package's static files, found without importing it."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed (pyproject.toml pins it)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def docs_page(openapi_url: str) -> str:
    pinned = version("swagger-ui-py")  # in the URLs, so an upgrade is not served stale
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>KetaClinic API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css?v={pinned}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{ASSETS}/swagger-ui-bundle.js?v={pinned}"></script>
<script src="/static/api-docs.js?v={pinned}"></script>
</body>
</html>
"""


def add_docs_page(app: FastAPI) -> None:
    """Swagger UI at /api/docs; mount before /static, whose mount would match first."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_dir()), name="swagger-ui")
    page = docs_page(app.openapi_url or "/api/openapi.json")

    @app.get(DOCS_PATH, include_in_schema=False, response_class=HTMLResponse)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(page)
