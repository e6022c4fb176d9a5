"""The FHIR server's refusals, one class per error with its stable code, and how any
error of the app becomes an OperationOutcome on a /fhir address."""

from __future__ import annotations

from typing import Any

from ketaclinic.kit.errors import KetaClinicError, NotFound

FHIR_JSON = "application/fhir+json"


class FhirBadRequest(KetaClinicError):
    """A search FHIR answers with 400 (not the JSON API's 422)."""

    status_code = 400
    code = "fhir_bad_request"
    # Only /fhir answers it (as an OperationOutcome): not a code of the JSON API.
    pages_only = True

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message, {parameter: message})
        self.parameter = parameter


class FhirUnknownParameter(FhirBadRequest):
    code = "fhir_unknown_parameter"


class FhirInvalidParameter(FhirBadRequest):
    code = "fhir_invalid_parameter"


class FhirSearchNeedsPatient(FhirBadRequest):
    code = "fhir_search_needs_patient"


class FhirResourceNotFound(NotFound):
    code = "fhir_resource_not_found"
    pages_only = True  # only /fhir answers it
    default_message = "No resource of this type with that id."


class FhirExportNotFound(NotFound):
    code = "fhir_export_not_found"
    pages_only = True
    default_message = "No such export of yours."


class FhirTooManyExports(KetaClinicError):
    status_code = 429
    code = "fhir_too_many_exports"
    pages_only = True


# OperationOutcome.issue.code (http://hl7.org/fhir/issue-type) for each status.
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-costly",
    422: "invalid",
    429: "throttled",
    503: "transient",
}


def operation_outcome(exc: KetaClinicError) -> dict[str, Any]:
    """The error as an OperationOutcome; a parameter at fault is named in
    ``expression``."""
    issue: dict[str, Any] = {
        "severity": "error" if exc.status_code < 500 else "fatal",
        "code": _ISSUE_CODES.get(exc.status_code, "exception"),
        "diagnostics": exc.message,
        "details": {"text": exc.code},
    }
    if exc.fields:
        issue["expression"] = sorted(exc.fields)
    return {"resourceType": "OperationOutcome", "issue": [issue]}
