"""The outcomes report pages: /reports/outcomes (filters, figures with intervals,
plots), its CSV and its PDF. Aggregates only: no patient is named."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.clinical.report_reference import AGE_BANDS, DIAGNOSIS_GROUPS
from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.web import DbSession, render
from ketaclinic.reports import deps, export, plots, service
from ketaclinic.reports.errors import ReportFiltersInvalid

router = APIRouter(prefix="/reports", include_in_schema=False)


def _date(raw: str, name: str, errors: dict[str, str]) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = "must be a date like 2026-11-23"
        return None


def _read(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    values: dict[str, str],
) -> tuple[service.OutcomeReport | None, dict[str, str], list[Any]]:
    clinics = deps.clinics_of(db, principal)
    errors: dict[str, str] = {}
    since = _date(values["from"], "from", errors)
    until = _date(values["to"], "to", errors)
    clinic_id = None
    if values["clinic"]:
        match = [c.id for c in clinics if c.slug == values["clinic"]]
        if not match:
            errors["clinic"] = "is not one of your clinics"
        clinic_id = match[0] if match else None
    report = None
    if not errors:
        r = deps.build_request(
            clinics,
            since=since,
            until=until,
            clinic_id=clinic_id,
            protocol=values["protocol"],
            route=values["route"],
            diagnosis=values["diagnosis"],
            age_band=values["age"],
            sex=values["sex"],
        )
        try:
            report = service.outcomes(db, principal, r, protocols=request.app.state.protocols)
        except KetaClinicError as exc:
            if not exc.fields:
                raise
            errors.update({("age" if k == "age_band" else k): v for k, v in exc.fields.items()})
    return report, errors, clinics


@router.get("/outcomes")
def outcomes_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    values: deps.FilterValues,
) -> Response:
    report, errors, clinics = _read(request, principal, db, values)
    shown = dict(values)
    if report is not None:
        shown["from"] = report.request.since.isoformat()
        shown["to"] = report.request.until.isoformat()
    query = urlencode({k: v for k, v in shown.items() if v})
    protocols = request.app.state.protocols
    context = {
        "report": report,
        "errors": errors,
        "values": shown,
        "query": query,
        "clinics": clinics,
        "protocol_choices": sorted((p.id, p.name) for p in protocols.values()),
        "route_choices": list(deps.ROUTES.items()),
        "diagnosis_choices": [(g.id, g.label) for g in DIAGNOSIS_GROUPS],
        "age_choices": [(b.id, b.label) for b in AGE_BANDS],
        "sex_choices": list(deps.SEXES.items()),
        "pct": export.pct,
        "interval": export.interval,
        "plots": None,
    }
    if report is not None:
        context["plots"] = {
            "rates": plots.rates(report),
            "durability": plots.km(
                report.durability, "Responders still responding, by days", reference=True
            ),
            "boosters": plots.km(report.boosters, "Without a booster, by days", reference=False),
            "cadss": plots.cadss(report),
        }
    return render(request, "reports/outcomes.html", context, status_code=422 if errors else 200)


def _export(
    request: Request, principal: CurrentPrincipal, db: DbSession, values: dict[str, str]
) -> service.OutcomeReport:
    report, errors, _ = _read(request, principal, db, values)
    if report is None:
        raise ReportFiltersInvalid(fields=errors)
    return report


@router.get("/outcomes.csv")
def outcomes_csv(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    values: deps.FilterValues,
) -> Response:
    report = _export(request, principal, db, values)
    name = f"outcomes-{report.request.since}-{report.request.until}.csv"
    return Response(
        export.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/outcomes.pdf")
def outcomes_pdf(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    values: deps.FilterValues,
) -> Response:
    report = _export(request, principal, db, values)
    name = f"outcomes-{report.request.since}-{report.request.until}.pdf"
    return Response(
        export.to_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
