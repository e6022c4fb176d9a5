"""Request-scoped plumbing shared by API endpoints and staff pages."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from ketaclinic.kit.errors import KetaClinicError
from ketaclinic.kit.messages import error_summary
from ketaclinic.kit.time import clock_shift, to_local, utcnow

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _has_work(session: Session) -> bool:
    """Whether ending the session may talk to the database (a transaction begun,
    events or objects waiting for the commit); a session never used ends in place."""
    return bool(session.in_transaction() or session.info or session.new or session.dirty)


def _commit(session: Session, request: Request) -> None:
    try:
        session.commit()
    except BaseException as exc:
        _roll_back(session, request, exc)
        raise
    finally:
        session.close()


def _roll_back(session: Session, request: Request, exc: BaseException) -> None:
    try:
        session.rollback()
        # A refused attempt must stay on record even though its transaction is gone
        # (404 included: asking for another clinic's patient looks like "not found").
        on_refused = getattr(request.app.state, "on_refused", None)
        if (
            isinstance(exc, KetaClinicError)
            and on_refused is not None
            and exc.status_code in (401, 403, 404)
        ):
            on_refused(session, request, exc)
            session.commit()
    finally:
        session.close()


@dataclass
class _UnitOfWork:
    session: Session
    request: Request
    ended: bool = False
    # The caller's lookup and the route's rule, left to the endpoint's own threadpool
    # step (``check_in_endpoint``): run there first, or before an earlier error.
    check: Callable[[], object] | None = None


# The request's unit of work, for ``UnitOfWorkRoute``'s endpoints: they run on a copy of
# the request's context, so they see the one ``get_db`` opened.
_UNIT: ContextVar[_UnitOfWork | None] = ContextVar("ketaclinic_unit_of_work", default=None)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request is the unit of work: commit when the handler returns, roll back
    when it raises. Runs before the response is sent (scope="function").

    Async, so that opening it costs no threadpool step: making a session does not
    touch the database (its connection is taken at the first query, on the thread
    that runs it). Ending it does, so that runs on the threadpool, one step for the
    commit (or rollback) and the connection's return; never on the event loop —
    unless a ``UnitOfWorkRoute`` endpoint ended it already, in its own step."""
    session: Session = request.app.state.sessionmaker()
    unit = _UnitOfWork(session, request)
    _UNIT.set(unit)
    try:
        yield session
    except BaseException as exc:
        if not unit.ended:
            unit.ended = True
            # Shielded: the thread finishes even when the request is cancelled meanwhile.
            await run_in_threadpool(_roll_back, session, request, exc)
        raise
    finally:
        _UNIT.set(None)
    if unit.ended:
        return
    unit.ended = True
    if _has_work(session):
        await run_in_threadpool(_commit, session, request)
    else:
        session.close()


def _end(unit: _UnitOfWork) -> None:
    unit.ended = True
    if _has_work(unit.session):
        _commit(unit.session, unit.request)
    else:
        unit.session.close()


WITHOUT_BODY = frozenset({"GET", "HEAD"})


class Pending:
    """A dependency's value that only the deferred check yields (``check_in_endpoint``):
    the endpoint's own step swaps it for ``resolve()`` once the check has passed."""

    __slots__ = ("resolve",)

    def __init__(self, resolve: Callable[[], object]) -> None:
        self.resolve = resolve


def check_in_endpoint(check: Callable[[], object]) -> bool:
    """Leave ``check`` (blocking: it queries) to the threadpool step of the endpoint,
    when the route is a ``UnitOfWorkRoute`` with a sync endpoint and the request has
    no body: one hand-off to a thread per request instead of two. False: run it now.

    The order a caller sees is unchanged: the check runs first in that step, before
    the endpoint; and when the request fails before the endpoint (a path or query
    parameter refused), the check runs before that error is answered, so a refused
    caller gets 401/403, never a 422 that tells them anything about the request."""
    unit = _UNIT.get()
    if unit is None or unit.ended or unit.check is not None:
        return False
    route = unit.request.scope.get("route")
    if not isinstance(route, UnitOfWorkRoute) or not route.checks_in_endpoint:
        return False
    if unit.request.method not in WITHOUT_BODY:
        return False
    unit.check = check
    return True


def check_pending() -> bool:
    """Whether ``check_in_endpoint`` left a check to the endpoint's step."""
    unit = _UNIT.get()
    return unit is not None and unit.check is not None


def _run_check(unit: _UnitOfWork) -> None:
    check, unit.check = unit.check, None
    if check is not None:
        check()


def _ending_the_unit(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` (sync) preceded, on its thread, by the check ``check_in_endpoint``
    left to it and followed by the end of the request's unit of work when it answers
    a response it built in full: what ``get_db`` would do in a threadpool step of its
    own right after, with nothing in between. A response still to be produced
    (streamed, a file, a value FastAPI serialises) is left to ``get_db``: producing
    it may read the database."""

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        unit = _UNIT.get()
        if unit is None or unit.ended:
            return endpoint(*args, **kwargs)
        try:
            if unit.check is not None:
                _run_check(unit)
                kwargs = {
                    k: v.resolve() if isinstance(v, Pending) else v for k, v in kwargs.items()
                }
            result = endpoint(*args, **kwargs)
        except BaseException as exc:
            unit.ended = True
            _roll_back(unit.session, unit.request, exc)
            raise
        if isinstance(result, Response) and hasattr(result, "body"):
            _end(unit)
        return result

    return run


class UnitOfWorkRoute(APIRoute):
    """A route whose sync endpoint also commits (or rolls back) the request's unit of
    work in its threadpool step, and, for a request without a body, first looks the
    caller up and checks the route's rule there (``check_in_endpoint``): one hand-off
    to a thread per request. For routers whose endpoints answer built responses
    (``route_class=UnitOfWorkRoute``); the order of work is unchanged: caller, rule,
    handler, commit, then the response is sent."""

    checks_in_endpoint = False

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not (
            inspect.iscoroutinefunction(endpoint)
            or inspect.isgeneratorfunction(endpoint)
            or inspect.isasyncgenfunction(endpoint)
        ):
            endpoint = _ending_the_unit(endpoint)
            self.checks_in_endpoint = True
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not self.checks_in_endpoint:
            return handler

        async def checked_first(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception:
                # Refused before the endpoint ran (a 422 for a parameter): the caller's
                # check still comes first, and its 401/403 is the answer.
                unit = _UNIT.get()
                if unit is not None and unit.check is not None and not unit.ended:
                    await run_in_threadpool(_run_check, unit)
                raise

        return checked_first


DbSession = Annotated[Session, Depends(get_db, scope="function")]


async def _form(request: Request) -> FormData:
    return await request.form()


# Page handlers that take a form stay sync (``def``), so their queries run on the
# threadpool and never block the event loop; this reads the body beforehand.
Form = Annotated[FormData, Depends(_form)]


def _template_dirs() -> list[Path]:
    dirs = [PACKAGE_DIR / "web" / "templates"]
    dirs += sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.parent.name != "web")
    return dirs


def format_phone(e164: str | None) -> str:
    """+15125550147 -> +1 512-555-0147 (stored as E.164, shown readably)."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


_REFERENCE = re.compile(r"(?:docs/)?clinical-references\.md#([\w-]+)")
_SEED = re.compile(r";?\s*\bseed documents?\b;?", re.IGNORECASE)
_DATA_FILE = re.compile(r"\b(?:[\w-]+/)*([\w-]+)\.(?:md|ya?ml)\b")


def cite(source: str | None) -> str:
    """A rule's or protocol's source as staff read it: "docs/clinical-references.md#dosing"
    becomes "Clinical references, dosing"; the project's own file names and working
    notes are not shown."""
    text = _REFERENCE.sub(
        lambda m: "Clinical references, " + m.group(1).replace("-", " "), source or ""
    )
    text = _SEED.sub("", text).replace("(; ", "(").replace("; )", ")").replace("()", "")
    return _DATA_FILE.sub(lambda m: f"the {m.group(1).replace('_', ' ')} list", text).strip()


def _title(context: Any, kind: str, key: str | None) -> str:
    """The title of a protocol or rule set (``kind``: the app's ``protocols`` or
    ``rule_sets``) by its id, for pages that hold only the id."""
    request = context.get("request")
    found = getattr(request.app.state, kind, {}).get(key) if request is not None else None
    name = getattr(found, "name", None)
    return str(name) if name else (key or "").replace("_", " ")


@pass_context
def protocol_title(context: Any, protocol_id: str | None) -> str:
    return _title(context, "protocols", protocol_id)


@pass_context
def rule_set_title(context: Any, rule_set_id: str | None) -> str:
    return _title(context, "rule_sets", rule_set_id)


def _make_templates() -> Jinja2Templates:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in _template_dirs()]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = lambda value, tz: to_local(value, tz) if value else value
    env.filters["phone"] = format_phone
    # Error summaries name each field (kit.messages), on every page alike.
    env.globals["error_summary"] = error_summary
    # Staff read titles and sources in words, never ids or file names.
    env.globals["protocol_title"] = protocol_title
    env.globals["rule_set_title"] = rule_set_title
    env.filters["cite"] = cite
    return Jinja2Templates(env=env)


TEMPLATES = _make_templates()


def _clock_note(request: Request) -> str | None:
    """The demo runs on a clock of its own: every page says what time it reads."""
    clock = getattr(request.app.state, "clock", None)
    if clock is None or not clock_shift():
        return None
    at = to_local(utcnow(), clock.timezone)
    return f"{at:%A} {at.day} {at:%B %Y}, {at:%H:%M} {at:%Z}"


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    ctx = {"principal": getattr(request.state, "principal", None), "clock": _clock_note(request)}
    ctx.update(context or {})
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def form_text(form: FormData, name: str) -> str:
    """A posted text field ("" when absent or a file), not stripped."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def form_errors(exc: KetaClinicError) -> dict[str, str]:
    """What a page shows for a refusal it can explain: field messages for a 422,
    the message at the top for a 409 (or a 422 without fields). Anything else
    is re-raised for the app's error handler."""
    if exc.status_code == 422 and exc.fields:
        return dict(exc.fields)
    if exc.status_code in {409, 422}:
        return {"request": exc.message}
    raise exc
