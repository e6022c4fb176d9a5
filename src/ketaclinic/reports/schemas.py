"""The outcomes report's JSON as the API documents it (``GET /api/v1/reports/outcomes``):
aggregates only, no field that could name a patient."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class ProportionOut(_Out):
    events: int
    n: int
    rate: float | None = Field(description="events / n; null when n is 0")
    low: float | None = Field(description="95% Wilson interval, low end")
    high: float | None = Field(description="95% Wilson interval, high end")


class MeanChangeOut(_Out):
    n: int
    mean: float | None
    sd: float | None
    low: float | None = Field(description="95% interval of the mean, low end")
    high: float | None


class InstrumentOut(_Out):
    instrument: str
    name: str
    with_baseline: int
    with_end_of_induction: int
    missing_end_of_induction: int = Field(
        description="a baseline but no end-of-induction measure: disclosed, never dropped"
    )
    response: ProportionOut
    remission: ProportionOut | None = Field(description="null: not assessable on this scale")
    mean_change: MeanChangeOut


class KmRowOut(_Out):
    days: float
    survival: float
    low: float
    high: float
    at_risk: int


class KmOut(_Out):
    subjects: int
    events: int
    median_days: float | None
    table: list[KmRowOut]


class DurabilityOut(KmOut):
    instrument: str


class SafetyRowOut(_Out):
    event: str
    sessions: int = Field(description="sessions with at least one")
    per_100: float | None


class SafetyOut(_Out):
    sessions: int
    per_100_sessions: list[SafetyRowOut]


class CadssOut(_Out):
    session: int
    n: int
    q1: float
    median: float
    q3: float


class StillRespondingOut(_Out):
    weeks: int
    share: float


class ReferenceOut(_Out):
    source: str
    response_rate: float
    remission_rate: float
    still_responding: list[StillRespondingOut]


class FiltersOut(_Out):
    protocol: str | None
    route: str | None
    diagnosis: str | None
    age_band: str | None
    sex: str | None


class OutcomeReportOut(_Out):
    clinics: list[str]
    since: str = Field(alias="from", description="induction ended on or after (YYYY-MM-DD)")
    until: str = Field(alias="to", description="induction ended on or before (YYYY-MM-DD)")
    filters: FiltersOut
    cohort: int = Field(description="patients who completed induction in the range")
    instruments: list[InstrumentOut]
    durability: DurabilityOut
    time_to_first_booster: KmOut
    safety: SafetyOut
    cadss_by_session: list[CadssOut]
    reference: ReferenceOut
