"""What a patient is asked to do before and after a treatment visit, as data
(``visit_instructions.yaml``): fasting by route, the escort, no driving, what to bring.
Pure: no database, no web."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.clinical.datafiles import load_file


class Instruction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    heading: str = Field(min_length=1)
    text: str = Field(min_length=1)
    routes: tuple[str, ...] = ()
    unknown_route: bool = False
    practice: bool
    source: str = Field(min_length=1)


class VisitInstructions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    items: tuple[Instruction, ...]


@cache
def load() -> VisitInstructions:
    path = files("ketaclinic.clinical").joinpath("visit_instructions.yaml")
    return load_file(path, VisitInstructions)


def for_route(route: str | None) -> list[Instruction]:
    """The instructions for a visit given by ``route`` (None: the route is not known,
    so every route-specific item is left out rather than the wrong one shown, and the
    ``unknown_route`` items say to ask the clinic)."""
    if route is None:
        return [i for i in load().items if not i.routes]
    return [i for i in load().items if not i.unknown_route and (not i.routes or route in i.routes)]
