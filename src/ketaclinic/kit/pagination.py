"""The one list envelope of the API, its paging parameters, and the refusal of any
query parameter an operation does not take.

Every list endpoint under ``/api/v1`` answers ``Page[T]``: ``{"items", "total",
"page", "page_size"}``, ``total`` counting every match (not just this page), and takes
``page`` (from 1) and ``page_size`` (1 to ``MAX_PAGE_SIZE``) through ``Paging``. A
query parameter an operation does not declare (``limit=2``, ``offset``, a typo) is
refused with 422 naming it (``refuse_unknown_query``, app-wide), never ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.kit.errors import ValidationFailed

T = TypeVar("T")

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


class UnknownQueryParameter(ValidationFailed):
    """A query parameter the operation does not take: refused, never ignored."""

    code = "unknown_query_parameter"


class PageParams(BaseModel):
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def of(self, rows: Iterable[Any]) -> dict[str, Any]:
        """The envelope of this page of ``rows``, a list known in full."""
        every = list(rows)
        return self.envelope(every[self.offset : self.offset + self.page_size], len(every))

    def envelope(self, items: list[Any], total: int) -> dict[str, Any]:
        """The envelope of ``items``, this page of ``total`` matches."""
        return {"items": items, "total": total, "page": self.page, "page_size": self.page_size}


async def paging(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Which page, from 1")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")
    ] = DEFAULT_PAGE_SIZE,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


Paging = Annotated[PageParams, Depends(paging)]


class Page(BaseModel, Generic[T]):
    """One page of a list: every list endpoint answers this envelope."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T] = Field(description="This page's items, in the list's order")
    total: int = Field(ge=0, description="Every item of the list, on all pages")
    page: int = Field(ge=1, description="This page's number, from 1")
    page_size: int = Field(ge=1, le=MAX_PAGE_SIZE, description="Items per page asked for")

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


_NAMES = "_ketaclinic_query_names"


def _query_names(route: Any) -> frozenset[str]:
    """The query parameters a route takes, its dependencies' included (kept on the
    route: worked out once)."""
    names: frozenset[str] | None = getattr(route, _NAMES, None)
    if names is None:
        found: set[str] = set()
        pending: list[Dependant] = [route.dependant]
        while pending:
            current = pending.pop()
            found |= {field.alias for field in current.query_params}
            pending += current.dependencies
        names = frozenset(found)
        setattr(route, _NAMES, names)
    return names


async def refuse_unknown_query(request: Request) -> None:
    """422 naming each query parameter the API operation does not take.

    Async, as ``paging``: a plain function costs little, but FastAPI runs a sync
    dependency on the threadpool, one more hand-off per request."""
    scope = request.scope
    route: Any = scope.get("route")
    if not scope["query_string"] or not hasattr(route, "dependant"):
        return  # (no query: nothing to refuse, and no URL to parse)
    if not scope["path"].startswith("/api/"):
        return
    names = _query_names(route)
    unknown = sorted(set(request.query_params) - names)
    if unknown:
        for field in route.dependant.path_params:  # a path that names nothing answers first
            _, errors = field.validate(request.path_params.get(field.alias), {}, loc=("path",))
            if errors:
                return
        taken = ", ".join(sorted(names)) or "none"
        raise UnknownQueryParameter(
            f"Unknown query parameter: {', '.join(unknown)} (this operation takes: {taken}).",
            {name: "is not a parameter of this operation" for name in unknown},
        )
