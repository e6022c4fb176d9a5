"""The ASGI application: API under /api, staff pages everywhere else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

from ketaclinic import __version__
from ketaclinic.admin import views as admin_views
from ketaclinic.appointments import endpoints as appointment_api
from ketaclinic.appointments import views as appointment_views
from ketaclinic.audit import endpoints as audit_api
from ketaclinic.audit import views as audit_views
from ketaclinic.auth import views as auth_views
from ketaclinic.auth.access import home_for, template_globals
from ketaclinic.auth.clinic import CLINIC_FIELD, ClinicChoiceNeeded
from ketaclinic.auth.deps import (
    ENROL_PATH,
    SESSION_COOKIE,
    CurrentPrincipal,
    MfaEnrolmentRequired,
    authorize,
)
from ketaclinic.billing import account_endpoints as billing_account_api
from ketaclinic.billing import account_views as billing_account_views
from ketaclinic.billing import endpoints as billing_api
from ketaclinic.billing import report_endpoints as billing_report_api
from ketaclinic.billing import report_views as billing_report_views
from ketaclinic.billing import views as billing_views
from ketaclinic.chairside import display_views as chairside_displays
from ketaclinic.chairside import endpoints as chairside_api
from ketaclinic.chairside import views as chairside_views
from ketaclinic.chairside.deps import load_chairside_data
from ketaclinic.clinic_data import Watcher
from ketaclinic.consents import endpoints as consent_api
from ketaclinic.consents import views as consent_views
from ketaclinic.fhir import bulk_endpoints as fhir_bulk_api
from ketaclinic.fhir import endpoints as fhir_api
from ketaclinic.fhir.errors import FHIR_JSON, operation_outcome
from ketaclinic.identity.routes import Access, rule_for
from ketaclinic.intake import public as intake_public
from ketaclinic.intake import views as intake_views
from ketaclinic.kit import jobs
from ketaclinic.kit.clock_store import StoredClock, read_clock
from ketaclinic.kit.db import make_engine, make_sessionmaker
from ketaclinic.kit.errors import (
    Busy,
    InternalError,
    KetaClinicError,
    NotAuthenticated,
    NotFound,
    validation_from_pydantic,
)
from ketaclinic.kit.limits import RequestLimits
from ketaclinic.kit.logging import RequestLogging, configure_logging, log
from ketaclinic.kit.openapi import add_docs_page, describe
from ketaclinic.kit.pagination import refuse_unknown_query
from ketaclinic.kit.routing import skip_unmatchable_routers
from ketaclinic.kit.security import SecurityHeaders
from ketaclinic.kit.slots import RequestSlots
from ketaclinic.kit.time import shifted_clock
from ketaclinic.kit.web import PACKAGE_DIR, TEMPLATES, DbSession, render
from ketaclinic.ledger import endpoints as ledger_api
from ketaclinic.ledger import views as ledger_views
from ketaclinic.measures import endpoints as measures_api
from ketaclinic.measures import public as measures_public
from ketaclinic.measures import views as measures_views
from ketaclinic.notifications import endpoints as notification_api
from ketaclinic.notifications import views as notification_views
from ketaclinic.outcomes import endpoints as outcomes_api
from ketaclinic.outcomes import jobs as booster_jobs
from ketaclinic.outcomes import views as outcomes_views
from ketaclinic.outcomes.deps import load_course_data
from ketaclinic.patients import endpoints as patient_api
from ketaclinic.patients import views as patient_views
from ketaclinic.plans import endpoints as plan_api
from ketaclinic.plans import views as plan_views
from ketaclinic.portal import views as portal_views
from ketaclinic.portal.deps import PORTAL_SIGN_IN, PortalSignInRequired, is_portal
from ketaclinic.previsit import views as previsit_views
from ketaclinic.refusals import on_refused
from ketaclinic.reports import endpoints as report_api
from ketaclinic.reports import views as report_views
from ketaclinic.screenings import endpoints as screening_api
from ketaclinic.screenings import views as screening_views
from ketaclinic.settings import Settings, get_settings
from ketaclinic.smart import endpoints as smart_api
from ketaclinic.smart import views as smart_views


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/fhir/", "/.well-known/"))


def _is_fhir(request: Request) -> bool:
    return request.url.path.startswith("/fhir/") or request.url.path == "/fhir"


async def _on_business_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KetaClinicError)
    if _is_fhir(request):  # FHIR clients read an OperationOutcome
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            operation_outcome(exc),
            status_code=exc.status_code,
            media_type=FHIR_JSON,
            headers=headers,
        )
    if _wants_html(request):
        target = None
        if isinstance(exc, PortalSignInRequired):
            target = PORTAL_SIGN_IN
        elif isinstance(exc, NotAuthenticated):
            # A poll (htmx) signed out comes back to its page, not to the fragment.
            page = urlsplit(request.headers.get("HX-Current-URL", "")).path
            target = "/login?next=" + quote(page or request.url.path, safe="/")
        elif isinstance(exc, MfaEnrolmentRequired):
            target = ENROL_PATH
        if target is not None:
            if request.headers.get("HX-Request") == "true":
                return Response(status_code=204, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        if isinstance(exc, ClinicChoiceNeeded) and request.method == "GET" and exc.choices:
            return _clinic_picker(request, exc)
        page = "portal/error.html" if is_portal(request) else "error.html"
        return render(request, page, {"error": exc}, status_code=exc.status_code)
    return JSONResponse(exc.to_body(), status_code=exc.status_code)


def _clinic_picker(request: Request, exc: ClinicChoiceNeeded) -> Response:
    """ "Which clinic?": the same address once per clinic, with ``clinic_id`` added
    and the other query parameters kept."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != CLINIC_FIELD]
    links = []
    for cid, name in exc.choices:
        query = urlencode([*kept, (CLINIC_FIELD, str(cid))])
        links.append((name, f"{request.url.path}?{query}"))
    return render(request, "clinic_picker.html", {"links": links}, status_code=200)


# The one way an error becomes a response, for middleware that answers early.
render_error = _on_business_error


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    # An id in the path that cannot be one (0, -1, 2^31, "abc") names no record: 404,
    # as for a record that does not exist. In a query or a body it is a 422 by field.
    in_path = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("path",)]
    if in_path:
        name = str(in_path[0]["loc"][-1])
        what = name.removesuffix("_id").replace("_", " ")
        message = f"No {what} with that id." if name.endswith("_id") else "Nothing here."
        return await _on_business_error(request, NotFound(message))
    return await _on_business_error(request, validation_from_pydantic(errors))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    """Any exception nobody expected: logged with its traceback, answered in the
    envelope (JSON for the API, a page for pages) with the request id to quote."""
    request_id = getattr(request.state, "request_id", "") or "unknown"
    if isinstance(exc, OperationalError) and "database is locked" in str(exc):
        log.warning("database_busy", path=request.url.path, request_id=request_id)
        response = await _on_business_error(request, Busy())
        response.headers["Retry-After"] = "1"
        return response
    log.error("unexpected_error", path=request.url.path, request_id=request_id, exc_info=exc)
    error = InternalError(request_id)
    if _is_fhir(request):
        return await _on_business_error(request, error)
    if _wants_html(request):
        return render(request, "error.html", {"error": error}, status_code=500)
    return JSONResponse(error.to_body(), status_code=500)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error = KetaClinicError(str(exc.detail))
    error.status_code = exc.status_code
    error.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    response = await _on_business_error(request, error)
    for name, value in (exc.headers or {}).items():  # 405 names the methods in Allow
        response.headers[name] = value
    if exc.status_code == 405:  # every route on the path, not just the first that matched
        response.headers["Allow"] = ", ".join(_methods_on(request))
    return response


def _methods_on(request: Request) -> list[str]:
    """The methods of the most literal path templates matching the path (so
    /patients/new is not taken for /patients/{patient_id})."""
    path = request.url.path
    matching = [(m, t) for m, t in declared_routes(request.app) if compile_path(t)[0].match(path)]
    literal = max((_literal_segments(t) for _, t in matching), default=0)
    return sorted({m for m, t in matching if _literal_segments(t) == literal})


def _literal_segments(template: str) -> int:
    return sum(1 for part in template.split("/") if part and "{" not in part)


# No route has a generic segment ({kind}, {action}): a path names one route whatever
# the routers' order (within a router, a literal like /patients/new comes first).
ROUTERS: tuple[APIRouter, ...] = (
    measures_api.router,
    outcomes_api.router,
    outcomes_views.router,
    notification_api.router,
    notification_api.webhooks,
    notification_views.router,
    screening_api.router,
    screening_views.router,
    plan_api.router,
    plan_views.router,
    appointment_api.router,
    chairside_api.router,
    chairside_views.router,
    chairside_displays.router,
    appointment_views.router,
    ledger_api.router,
    ledger_views.router,
    measures_views.router,
    measures_public.router,
    intake_public.router,
    intake_views.router,
    intake_views.api,
    patient_api.router,
    auth_views.router,
    patient_views.router,
    audit_api.router,
    audit_views.router,
    admin_views.router,
    report_api.router,
    report_views.router,
    portal_views.router,
    previsit_views.router,
    consent_api.router,
    consent_views.router,
    consent_views.portal,
    smart_api.router,
    smart_views.router,
    fhir_bulk_api.router,  # before the read routes: /fhir/Patient/$export is not an id
    fhir_api.router,
    billing_api.router,
    billing_views.router,
    billing_report_api.router,
    billing_report_views.router,
    billing_account_api.router,
    billing_account_views.router,
)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    # Jobs a request causes (a message to send) are enqueued for this deployment.
    jobs.configure(settings)
    # A score recorded asks for the booster rules' evaluation after it commits.
    booster_jobs.install()
    engine = engine or make_engine(settings.database_url, slots=settings.request_slots)
    # Eligibility rules and protocols are data: a malformed file stops start-up, naming
    # file and line. A clinic's own directories add to (or replace) the packaged ones and
    # reach every server process soon after they change (clinic_data).
    clinic_data = Watcher(settings)

    def fresh_clinic_data(request: Request) -> None:
        """The clinic's rule sets and protocols as they are now (a clock comparison,
        and a directory listing every few seconds)."""
        data = clinic_data.current()
        state = request.app.state
        if data is not state.clinic_data:
            state.clinic_data = data
            state.rule_sets, state.protocols = data.rule_sets, data.protocols

    async def every_request(request: Request, db: DbSession) -> None:
        """App-wide, in this order: the route's rule (``authorize``: a refused caller
        never reaches validation), the query's names (``refuse_unknown_query``), the
        clinic data as it is now. One dependency, not three: FastAPI's solving costs
        each dependency on every request."""
        await authorize(request, db)
        await refuse_unknown_query(request)
        fresh_clinic_data(request)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Every process serves on the deployment's clock: the wall clock, or the
        # demo's when the demo loader stored one (kit.clock_store).
        clock = read_clock(_app.state.sessionmaker())
        _app.state.clock = clock
        # Enough threads for every admitted request's step, never fewer than the default.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, settings.request_slots + 8)
        with shifted_clock(clock.shift):
            yield

    app = FastAPI(
        lifespan=lifespan,
        dependencies=[Depends(every_request)],
        title="KetaClinic",
        version=__version__,
        openapi_url="/api/openapi.json",
        # FastAPI's docs pages pull scripts from a CDN: ours (/api/docs) serves its own.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.secret_key = settings.resolved_secret_key()
    app.state.clock = StoredClock()  # until start-up reads the stored one
    app.state.on_refused = on_refused
    app.state.clinic_data = clinic_data.data
    app.state.rule_sets = clinic_data.data.rule_sets
    app.state.protocols = clinic_data.data.protocols
    load_chairside_data(app)
    load_course_data(app)
    TEMPLATES.env.globals.update(template_globals())  # can(request, "GET /path") in pages

    app.add_exception_handler(KetaClinicError, _on_business_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
    # Innermost: a request takes a slot (kit.slots) only once its body is read; the
    # limits are inside the logging and headers, so refusals carry both.
    app.add_middleware(RequestSlots, slots=settings.request_slots)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        max_query_bytes=settings.max_query_bytes,
        session_cookie=SESSION_COOKIE,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLogging)

    add_docs_page(app)  # mounts its assets under /static/swagger-ui: before /static
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "web" / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)

    unreachable = {"status": "error", "database": "unreachable"}
    down = {"application/json": {"example": unreachable}}

    @app.get(
        "/healthz", tags=["ops"], responses={503: {"description": "No database", "content": down}}
    )
    def healthz(db: DbSession) -> dict[str, Any]:
        """Checks the database answers."""
        try:
            db.execute(text("SELECT 1"))
        except Exception as exc:
            log.error("healthz_failed", error=type(exc).__name__)
            return JSONResponse(unreachable, status_code=503)  # type: ignore[return-value]
        return {"status": "ok", "database": engine.dialect.name, "version": __version__}

    @app.get("/", include_in_schema=False)
    def home(request: Request, principal: CurrentPrincipal) -> RedirectResponse:
        return RedirectResponse(home_for(request.app, principal), status_code=303)

    _check_every_route_has_a_rule(app)
    skip_unmatchable_routers(app)
    describe(app, who_may_call)
    return app


def who_may_call(method: str, path: str) -> str | None:
    """The route's rule in words for the API description; None when it is public."""
    rule = rule_for(method, path)
    if rule is None or rule is Access.PUBLIC:
        return None
    if rule is Access.SIGNED_IN:
        return "any signed-in user"
    if rule is Access.PATIENT:
        return "the patient signed in to the portal (their own record only)"
    if rule is Access.SMART:
        return "a bearer token with the SMART scope the interaction needs"
    return f"the `{rule.value}` permission in the record's clinic"


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers, routers included."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path:
            found += [(method, context.path) for method in sorted(context.methods or ())]
    return found


def declared_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the routers declare, read from the routers
    themselves (nested includes followed). Asking the app (``api_routes``) builds every
    route's request handling up front, which costs more than the app's start-up;
    tests/auth/test_route_matrix.py checks both lists agree."""
    found: list[tuple[str, str]] = []
    pending: list[Any] = [r for router in ROUTERS for r in router.routes]
    pending += list(app.router.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            found += [(method, route.path) for method in sorted(route.methods or ())]
        nested = getattr(route, "original_router", None)  # a router included in a router
        if isinstance(nested, APIRouter):
            pending += list(nested.routes)
    return found


def _check_every_route_has_a_rule(app: FastAPI) -> None:
    """Fail at start-up, not in production, when a route was added without an access rule."""
    declared = declared_routes(app)
    missing = [f"{m} {p}" for m, p in declared if rule_for(m, p) is None]
    if missing:
        raise RuntimeError(f"routes without an entry in identity.routes.ROUTE_RULES: {missing}")
