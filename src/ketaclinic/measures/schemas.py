"""API shapes for questionnaires, responses, alerts, links and outcomes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.kit.fields import Bool, Id, IsoAwareDateTime, IsoDateTime


class OptionOut(BaseModel):
    value: int
    label: str


class ItemOut(BaseModel):
    id: str
    text: str
    answer_type: str
    required: Bool
    scored: Bool
    options: list[OptionOut]


class InstrumentOut(BaseModel):
    id: str
    name: str
    version: str
    completed_by: str
    recall_period: str | None
    max_total: int
    items: list[ItemOut]


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument_id: str = Field(max_length=30)
    answers: dict[str, int | bool]
    completed_at: IsoAwareDateTime | None = None
    completed_by: Literal["patient", "staff"] = "staff"
    session_id: Id | None = None


class ResponseOut(BaseModel):
    id: int
    patient_id: int
    instrument_id: str
    instrument_version: str
    completed_at: IsoDateTime
    completed_by: str
    entered_by_id: int | None
    session_id: int | None
    answers: dict[str, int | bool]
    total: int
    max_total: int
    band: str
    subscores: dict[str, int]
    flags: list[str]
    risk_level: str | None
    alerts: list[AlertOut] = []


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    response_id: int
    kind: str
    message: str
    raised_at: IsoDateTime
    acknowledged_at: IsoDateTime | None
    acknowledged_by_id: int | None
    note: str | None


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=3, max_length=2000)


class TreatmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_at: IsoAwareDateTime
    modality: Literal["iv_ketamine", "im_ketamine", "sl_ketamine", "esketamine_nasal"]


class TreatmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    given_at: IsoDateTime
    modality: str


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument_id: str = Field(max_length=30)
    # Default: the questionnaire_link_hours setting.
    valid_hours: int | None = Field(default=None, ge=1, le=24 * 14)


class LinkOut(BaseModel):
    id: int
    instrument_id: str
    url: str
    expires_at: IsoDateTime


class OutcomeOut(BaseModel):
    instrument_id: str
    instrument_name: str
    responses: int
    treatments_given: int
    baseline_total: int | None
    baseline_at: IsoDateTime | None
    latest_total: int | None
    latest_at: IsoDateTime | None
    absolute_change: int | None
    percent_change: float | None
    is_response: Bool
    first_response_at: IsoDateTime | None
    is_remission: Bool | None
    response_lost_at: IsoDateTime | None
    is_futile: Bool
    status: str


ResponseOut.model_rebuild()
