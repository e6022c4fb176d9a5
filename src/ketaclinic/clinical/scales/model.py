"""Instrument definitions: frozen pydantic models validated on load.

An instrument is data (see ``instruments/*.yaml``); these models check that the
data is internally consistent so that scoring code can trust it: item ids are
unique, answer options run 0..n, bands start at 0 and rise within the possible
total, and every flag, domain, subscale and skip rule names real items.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Citation(_Frozen):
    authors: str
    title: str
    journal: str
    year: StrictInt
    note: str | None = None


class AnswerOption(_Frozen):
    value: StrictInt
    label: str


class Item(_Frozen):
    id: Identifier
    text: str
    options: tuple[AnswerOption, ...] = ()
    # Unscored questions (the PHQ-9 "difficulty" question) are optional and
    # echoed back, never added to the total.
    scored: bool = True
    required: bool = True

    @property
    def max_value(self) -> int:
        return max(option.value for option in self.options)


class Domain(_Frozen):
    """Items of which only the highest answer counts (QIDS-SR16 rules)."""

    id: Identifier
    label: str
    items: tuple[str, ...] = Field(min_length=2)
    rule: Literal["max"] = "max"


class Subscale(_Frozen):
    """A reported sum of some items; does not change the total."""

    id: Identifier
    label: str
    items: tuple[str, ...] = Field(min_length=1)


class Band(_Frozen):
    min_total: StrictInt
    label: str


class ItemAboveFlag(_Frozen):
    rule: Literal["item_above"]
    id: Identifier
    item: str
    threshold: StrictInt
    source: str


class ItemAtLeastFlag(_Frozen):
    """An item answered ``threshold`` or higher (the form published thresholds take)."""

    rule: Literal["item_at_least"]
    id: Identifier
    item: str
    threshold: StrictInt
    source: str


class TotalAtLeastFlag(_Frozen):
    rule: Literal["total_at_least"]
    id: Identifier
    threshold: StrictInt
    source: str


class RiskAtLeastFlag(_Frozen):
    rule: Literal["risk_at_least"]
    id: Identifier
    level: str
    source: str


Flag = Annotated[
    ItemAboveFlag | ItemAtLeastFlag | TotalAtLeastFlag | RiskAtLeastFlag,
    Field(discriminator="rule"),
]


class SkipRule(_Frozen):
    """When ``if_item`` is answered ``equals``, ``skip`` must be left blank."""

    if_item: str
    equals: StrictInt
    skip: tuple[str, ...] = Field(min_length=1)


class RiskRule(_Frozen):
    level: str
    any_yes: tuple[str, ...] = Field(min_length=1)


class RiskModel(_Frozen):
    """Rule-based triage: the highest level whose rule matches, else default."""

    levels: tuple[str, ...] = Field(min_length=2)  # lowest first
    default: str
    rules: tuple[RiskRule, ...] = Field(min_length=1)
    source: str


class Instrument(_Frozen):
    id: Identifier
    name: str
    version: str
    completed_by: Literal["self", "clinician"]
    answer_type: Literal["integer", "yes_no"] = "integer"
    # Item ids start with "<item_prefix>_"; the instrument id unless given.
    item_prefix: Identifier | None = None
    loinc_total: str | None = None
    loinc_panel: str | None = None
    recall_period: str | None = None
    instructions: str | None = None
    notes: str | None = None
    sources: tuple[Citation, ...] = Field(min_length=1)
    options: tuple[AnswerOption, ...] = ()
    items: tuple[Item, ...] = Field(min_length=1)
    domains: tuple[Domain, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    bands: tuple[Band, ...] = ()
    bands_source: str | None = None
    flags: tuple[Flag, ...] = ()
    skip_rules: tuple[SkipRule, ...] = ()
    risk: RiskModel | None = None

    @model_validator(mode="before")
    @classmethod
    def _items_inherit_default_options(cls, data: Any) -> Any:
        """Items without their own ``options`` use the instrument's."""
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            return data
        default = data.get("options", [])
        items = [
            {**item, "options": default}
            if isinstance(item, dict) and "options" not in item
            else item
            for item in data["items"]
        ]
        return {**data, "items": items}

    @model_validator(mode="after")
    def _check_consistency(self) -> Instrument:
        self._check_items()
        self._check_groups()
        self._check_bands()
        self._check_flags()
        self._check_skip_rules()
        self._check_risk()
        return self

    # -- derived facts ---------------------------------------------------

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def choices(self, item: Item) -> tuple[tuple[int, str], ...]:
        """(value, label) in value order; yes/no items as No = 0, Yes = 1."""
        if self.answer_type == "yes_no":
            return ((0, "No"), (1, "Yes"))
        return tuple((option.value, option.label) for option in item.options)

    def answer_from_choice(self, value: int) -> int | bool:
        """A chosen form value as the scorer takes it (bool for yes/no items)."""
        return bool(value) if self.answer_type == "yes_no" else value

    @property
    def max_total(self) -> int:
        """Highest possible total, honouring domain-maximum rules."""
        in_domain = {item_id for domain in self.domains for item_id in domain.items}
        singles = sum(item.max_value for item in self.scored_items if item.id not in in_domain)
        domains = sum(
            max(self.item(item_id).max_value for item_id in domain.items) for domain in self.domains
        )
        return singles + domains

    # -- checks ----------------------------------------------------------

    def _check_items(self) -> None:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"duplicate item id {item.id!r}")
            seen.add(item.id)
            prefix = f"{self.item_prefix or self.id}_"
            if not item.id.startswith(prefix):
                raise ValueError(f"item id {item.id!r} must start with {prefix!r}")
            _check_options(item, self.answer_type)
        if not self.scored_items:
            raise ValueError("no scored items")

    def _check_groups(self) -> None:
        scored = {item.id for item in self.scored_items}
        group_ids: set[str] = set()
        in_domain: set[str] = set()
        groups: tuple[Domain | Subscale, ...] = (*self.domains, *self.subscales)
        for group in groups:
            if group.id in group_ids:
                raise ValueError(f"duplicate domain or subscale id {group.id!r}")
            group_ids.add(group.id)
            if len(set(group.items)) != len(group.items):
                raise ValueError(f"{group.id!r} lists an item twice")
            for item_id in group.items:
                if item_id not in scored:
                    raise ValueError(f"{group.id!r} names unknown item {item_id!r}")
        for domain in self.domains:
            overlap = in_domain.intersection(domain.items)
            if overlap:
                raise ValueError(f"items {sorted(overlap)} are in two domains")
            in_domain.update(domain.items)

    def _check_bands(self) -> None:
        if not self.bands:
            if self.risk is None:
                raise ValueError("bands are required unless a risk model is given")
            return
        if self.bands[0].min_total != 0:
            raise ValueError("the first band must start at 0")
        for lower, upper in pairwise(self.bands):
            if upper.min_total <= lower.min_total:
                raise ValueError(
                    f"bands must be sorted by min_total: {upper.label!r} "
                    f"({upper.min_total}) after {lower.label!r} ({lower.min_total})"
                )
        if self.bands[-1].min_total > self.max_total:
            raise ValueError(
                f"band {self.bands[-1].label!r} starts at "
                f"{self.bands[-1].min_total}, above the maximum total {self.max_total}"
            )
        if self.bands_source is None:
            raise ValueError("bands need a bands_source")

    def _check_flags(self) -> None:
        for flag in self.flags:
            if isinstance(flag, ItemAboveFlag):
                item = self._known_item(flag.item, f"flag {flag.id!r}")
                if not 0 <= flag.threshold < item.max_value:
                    raise ValueError(
                        f"flag {flag.id!r} threshold {flag.threshold} must be in "
                        f"0..{item.max_value - 1} for {item.id!r}"
                    )
            elif isinstance(flag, ItemAtLeastFlag):
                item = self._known_item(flag.item, f"flag {flag.id!r}")
                if not 0 < flag.threshold <= item.max_value:
                    raise ValueError(
                        f"flag {flag.id!r} threshold {flag.threshold} must be in "
                        f"1..{item.max_value}"
                    )
            elif isinstance(flag, TotalAtLeastFlag):
                if not 0 < flag.threshold <= self.max_total:
                    raise ValueError(
                        f"flag {flag.id!r} threshold {flag.threshold} must be in "
                        f"1..{self.max_total}"
                    )
            elif self.risk is None or flag.level not in self.risk.levels:
                raise ValueError(f"flag {flag.id!r} names unknown risk {flag.level!r}")

    def _check_skip_rules(self) -> None:
        for rule in self.skip_rules:
            gate = self._known_item(rule.if_item, "skip rule")
            if rule.equals not in {option.value for option in gate.options}:
                raise ValueError(f"skip rule value {rule.equals} is not an option of {gate.id!r}")
            for item_id in rule.skip:
                self._known_item(item_id, "skip rule")
                if item_id == rule.if_item:
                    raise ValueError(f"skip rule on {item_id!r} skips itself")

    def _check_risk(self) -> None:
        if self.risk is None:
            return
        levels = self.risk.levels
        if len(set(levels)) != len(levels):
            raise ValueError("risk levels must be unique")
        if self.risk.default not in levels:
            raise ValueError(f"risk default {self.risk.default!r} is not a level")
        for rule in self.risk.rules:
            if rule.level not in levels:
                raise ValueError(f"risk rule names unknown level {rule.level!r}")
            for item_id in rule.any_yes:
                self._known_item(item_id, "risk rule")
        if self.answer_type != "yes_no":
            raise ValueError("risk rules need answer_type yes_no")

    def _known_item(self, item_id: str, where: str) -> Item:
        try:
            return self.item(item_id)
        except KeyError:
            raise ValueError(f"{where} names unknown item {item_id!r}") from None


def _check_options(item: Item, answer_type: str) -> None:
    values = [option.value for option in item.options]
    if not values:
        raise ValueError(f"item {item.id!r} has no answer options")
    if values != list(range(len(values))):
        raise ValueError(
            f"item {item.id!r} option values must run 0, 1, 2, ... in order; got {values}"
        )
    if answer_type == "yes_no" and values != [0, 1]:
        raise ValueError(f"yes/no item {item.id!r} needs options 0 (no) and 1 (yes)")
