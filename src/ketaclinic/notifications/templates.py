"""The message templates as data (``templates.yaml``), loaded once and rendered with
only the fields a template may name: the clinic, the link, a visit's date, time and
address where the template says ``visit: true``, and for a staff digest
(``staff: true``: to a staff member, by email only, no SMS body) the counts it names."""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

BASE_FIELDS = frozenset({"clinic_name", "link"})
VISIT_FIELDS = frozenset({"visit_date", "visit_time", "visit_address"})
# Numbers only (``Message.counts``): a staff digest says how many, never whose.
STAFF_FIELDS = frozenset({"due_count", "overdue_count"})


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    subject: str
    email: str
    sms: str = ""
    visit: bool = False
    staff: bool = False

    @model_validator(mode="after")
    def _only_allowed_fields(self) -> Template:
        allowed = BASE_FIELDS | (VISIT_FIELDS if self.visit else frozenset())
        allowed |= STAFF_FIELDS if self.staff else frozenset()
        for text in (self.subject, self.email, self.sms):
            for _, name, _, _ in string.Formatter().parse(text):
                if name is not None and name not in allowed:
                    raise ValueError(f"placeholder {{{name}}} is not allowed here")
        if not self.staff and not self.sms:
            raise ValueError("a message to a patient needs an SMS body")
        return self


class Rendered(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    email: str
    sms: str


@cache
def templates() -> dict[str, Template]:
    text = resources.files("ketaclinic.notifications").joinpath("templates.yaml").read_text()
    raw = yaml.safe_load(text)
    return {key: Template.model_validate(value) for key, value in raw.items()}


def template(name: str) -> Template:
    try:
        return templates()[name]
    except KeyError:
        raise ValueError(f"unknown message template {name!r}") from None


def title(name: str) -> str:
    """The template in words (staff pages); an unknown one by its name."""
    found = templates().get(name)
    return found.title if found else name.replace("_", " ")


def render(name: str, fields: dict[str, str]) -> Rendered:
    chosen = template(name)
    return Rendered(
        subject=chosen.subject.format(**fields),
        email=chosen.email.format(**fields),
        sms=chosen.sms.format(**fields),
    )
