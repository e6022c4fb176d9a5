"""Shapes of the ledger's requests and answers (API and forms share them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from ketaclinic.clinical.controlled.dea import dea_number_problem
from ketaclinic.kit.fields import Bool, Id, IsoDate, IsoDateTime, Number

Mg = Number
# Whole micrograms: JSON Schema says it with multipleOf (pydantic counts places).
MILLI: JsonDict = {"multipleOf": 0.001}
MgAmount = Annotated[
    Decimal, Field(gt=0, le=100000, max_digits=9, decimal_places=3, json_schema_extra=MILLI)
]
EntryKind = Literal[
    "receive",
    "transfer_out",
    "transfer_in",
    "draw",
    "administer",
    "waste",
    "return",
    "reverse",
    "destroy",
    "loss",
    "adjust",
]
CountKind = Literal["shift", "daily", "initial_inventory", "biennial_inventory"]
Part = Literal["administered_mg", "wasted_mg", "returned_mg"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WitnessIn(_In):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)
    code: str = Field(default="", max_length=40)


class ProductIn(_In):
    ndc: str = Field(pattern=r"^\d{4,5}-\d{3,4}-\d{1,2}$", description="e.g. 0409-2051-05")
    drug: Literal["ketamine", "esketamine"]
    name: str = Field(min_length=2, max_length=120)
    strength: str = Field(min_length=2, max_length=40, description="As labelled: 50 mg/mL")
    form: str = Field(min_length=2, max_length=40, description="e.g. injection, vial")
    container_mg: MgAmount = Field(description="Drug in one full container, mg")
    container_ml: Decimal | None = Field(
        default=None, gt=0, le=1000, decimal_places=3, json_schema_extra=MILLI
    )


class LocationIn(_In):
    name: str = Field(min_length=2, max_length=80)
    description: str = Field(default="", max_length=200)


class ReceiptIn(_In):
    location_id: Id
    product_id: Id
    lot_number: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    expires: IsoDate
    containers: int = Field(ge=1, le=200, description="How many containers arrived")
    received_on: IsoDate
    supplier_name: str = Field(min_length=2, max_length=120)
    supplier_address: str = Field(min_length=5, max_length=300)
    supplier_dea: str = Field(description="The supplier's DEA registration number")
    invoice_number: str = Field(min_length=1, max_length=60)

    @field_validator("supplier_dea")
    @classmethod
    def _dea(cls, value: str) -> str:
        problem = dea_number_problem(value)
        if problem:
            raise ValueError(problem)
        return value.upper()


class TransferIn(_In):
    to_location_id: Id


class DrawIn(_In):
    container_id: Id
    patient_id: Id
    amount_mg: MgAmount
    session_id: Id | None = None


class AmountIn(_In):
    amount_mg: MgAmount


class WasteIn(_In):
    amount_mg: MgAmount
    witnesses: list[WitnessIn] = Field(min_length=1, max_length=3)


class ReverseIn(_In):
    entry_id: Id = Field(description="The administer, waste or return entry in error")
    amount_mg: MgAmount
    reason: str = Field(min_length=10, max_length=2000)


class DestroyIn(_In):
    amount_mg: MgAmount
    method: str = Field(min_length=3, max_length=120, description="How it was destroyed")
    reason: str = Field(min_length=3, max_length=300, description="Why: expired, damaged…")
    destroyed_on: IsoDate
    witnesses: list[WitnessIn] = Field(min_length=2, max_length=2)


class LossIn(_In):
    amount_mg: MgAmount
    loss_kind: Literal["theft", "loss", "breakage"]
    discovered: IsoDate
    circumstances: str = Field(min_length=10, max_length=2000)


class FilingIn(_In):
    kind: Literal["notice", "form_106"]
    filed_on: IsoDate
    reference: str = Field(default="", max_length=80)


class CountLineIn(_In):
    container_id: Id
    counted_mg: Decimal = Field(
        ge=0, le=100000, max_digits=9, decimal_places=3, json_schema_extra=MILLI
    )
    estimated: Bool = False


class CountIn(_In):
    location_id: Id
    kind: CountKind = "shift"
    business: Literal["open", "close"] = "close"
    lines: list[CountLineIn] = Field(max_length=500)
    note: str = Field(default="", max_length=2000)


class ResolutionIn(_In):
    outcome: Literal["ledger_follows_count", "count_in_error"]
    explanation: str = Field(min_length=10, max_length=2000)
    second_signer: WitnessIn


class EntryOut(BaseModel):
    id: int
    location_id: int
    seq: int
    occurred_at: IsoDateTime
    kind: str
    container_id: int
    container_label: str
    draw_entry_id: int | None
    amount_mg: Mg
    balance_mg: Mg
    patient_id: int | None
    session_id: int | None
    by: str
    witnesses: list[str]
    corrects_id: int | None
    reason: str
    detail: dict[str, object]
    hash: str


class ContainerOut(BaseModel):
    id: int
    label: str
    location_id: int
    location: str
    product: str
    ndc: str
    strength: str
    form: str
    lot_number: str
    expires: IsoDate
    status: str
    on_hand_mg: Mg


class DrawOut(BaseModel):
    id: int
    container_id: int
    patient_id: int | None
    drawn_mg: Mg
    administered_mg: Mg
    wasted_mg: Mg
    returned_mg: Mg
    open_mg: Mg
    closed: Bool
    entries: list[EntryOut]


class CountOut(BaseModel):
    id: int
    location_id: int
    kind: str
    business: str
    counted_at: IsoDateTime
    discrepancies: list[int]


class DiscrepancyOut(BaseModel):
    id: int
    count_id: int
    container_id: int
    expected_mg: Mg
    counted_mg: Mg
    opened_at: IsoDateTime
    resolved: Bool
    outcome: str | None
    explanation: str | None


class VerifyOut(BaseModel):
    entries_checked: int
    ok: Bool
    problem: str | None
