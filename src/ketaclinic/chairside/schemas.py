"""Request and response bodies of the chairside API. Ranges here are what is
physically possible (clinical.chairside.alerts.PLAUSIBLE); what is clinically
alarming is the alert rules' business."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ketaclinic.clinical.chairside.administration import StopReason
from ketaclinic.clinical.chairside.alerts import ALERT_ACTIONS, PLAUSIBLE
from ketaclinic.kit.fields import Bool, Id, IsoDate, IsoDateTime, Number
from ketaclinic.ledger.schemas import MgAmount, WitnessIn


def _within(measure: str) -> Any:
    low, high = PLAUSIBLE[measure]  # type: ignore[index]

    def check(value: int | None) -> int | None:
        if value is not None and not low <= value <= high:
            raise ValueError(f"{value} is not possible: {low} to {high}")
        return value

    return AfterValidator(check)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OpenIn(_In):
    action: Literal["check_in", "no_show"] = "check_in"


class ReadingIn(_In):
    id: str = Field(
        min_length=1,
        max_length=80,
        description="The reading's id at its source; a retry with the same id is recorded once",
    )
    taken_at: IsoDateTime
    systolic: Annotated[int | None, _within("systolic")] = None
    diastolic: Annotated[int | None, _within("diastolic")] = None
    heart_rate: Annotated[int | None, _within("heart_rate")] = None
    spo2: Annotated[int | None, _within("spo2")] = None
    respiratory_rate: Annotated[int | None, _within("respiratory_rate")] = None
    sedation: Annotated[int | None, _within("sedation")] = Field(
        default=None, description="RASS, -5 (unrousable) to +4 (combative); 0 alert and calm"
    )
    cadss: Annotated[int | None, _within("cadss")] = Field(
        default=None, description="CADSS total, 0-92"
    )
    on_oxygen: Bool = False


class VitalsIn(_In):
    readings: list[ReadingIn] = Field(min_length=1, max_length=500)
    device: str = Field(default="", max_length=80)
    confirm_repeat: Bool = Field(
        default=False,
        description="A manual reading identical to one a few minutes before is refused "
        "unless this confirms it is a new reading",
    )


class VitalsOut(BaseModel):
    accepted: int
    duplicates: int
    alerts: list[dict[str, Any]]


class CheckIn(_In):
    result: Literal["pass", "fail", "na"]
    value: str = Field(default="", max_length=500)


class ChecklistIn(_In):
    items: dict[str, CheckIn] = Field(default_factory=dict)


class ActionIn(_In):
    action: Literal["start", "pause", "resume", "change_rate", "observe"]
    reason: str = Field(default="", max_length=2000)
    rate_ml_per_h: Decimal | None = Field(default=None, gt=0, le=10_000)
    at: IsoDateTime | None = Field(
        default=None,
        description="When it happened (default now): not in the future, not before "
        "the step it follows",
    )


class ReleaseIn(_In):
    checker: WitnessIn = Field(description="The second clinician's own credentials")
    weight_kg: Decimal = Field(gt=0, le=400, description="Re-entered blind by the checker")
    concentration_mg_per_ml: Decimal | None = Field(default=None, gt=0, le=200)
    container_id: Id = Field(description="The container drawn from (the first of two)")
    drawn_mg: MgAmount | None = Field(
        default=None,
        description="Drawn up from the one container: at least the dose, the excess "
        "wasted now before the checker. Needed without a second container; left out "
        "with one (the two draws make the dose exactly)",
    )
    second_container_id: Id | None = Field(
        default=None,
        description="A second container of the same product and strength, in the same "
        "safe: the dose is drawn from both, each its own ledger draw",
    )
    first_mg: MgAmount | None = Field(
        default=None,
        description="With a second container: the mg from the first (default: all it "
        "holds); with second_mg it adds up to the dose exactly",
    )
    second_mg: MgAmount | None = Field(
        default=None,
        description="With a second container: the mg from the second (default: the rest "
        "of the dose)",
    )
    witnesses: list[WitnessIn] = Field(
        default_factory=list,
        max_length=2,
        description="More waste witnesses, when policy needs them",
    )


class GivenIn(_In):
    given_mg: Decimal = Field(
        ge=0, le=10_000, description="What the patient received: at most the released dose"
    )
    witnesses: list[WitnessIn] = Field(default_factory=list, max_length=3)
    at: IsoDateTime | None = Field(
        default=None,
        description="When it ended (default now): not in the future, not before the "
        "step it follows",
    )
    early_reason: StopReason | None = Field(
        default=None,
        description="Why it ends before the share of its planned duration the clinic "
        "sets (needed then)",
    )
    early_note: str = Field(default="", max_length=2000, description="Needed for 'other'")


class StopIn(GivenIn):
    """A session stopped early asks why as an early end does: the reason (needed;
    a 422 naming ``early_reason`` without it) and what happened in words."""

    early_reason: StopReason | None = Field(
        default=None,
        description="Why it stopped: adverse_event, patient_request, pump_or_line or "
        "other (needed)",
    )
    reason: str = Field(min_length=3, max_length=2000, description="What happened")


class AcknowledgeIn(_In):
    action: str = Field(description=f"One of {', '.join(ALERT_ACTIONS)}")
    note: str = Field(default="", max_length=2000)


class AdverseIn(_In):
    effect: str = Field(min_length=1, max_length=30)
    grade: int = Field(ge=1, le=5, description="CTCAE v5 grade")
    serious: Bool = False
    onset_at: IsoDateTime | None = None
    note: str = Field(default="", max_length=2000)


class RescueIn(_In):
    drug: str = Field(min_length=1, max_length=30)
    dose: Decimal = Field(gt=0, le=1000)
    route: str = Field(min_length=1, max_length=10)
    given_at: IsoDateTime | None = None
    reason: str = Field(default="", max_length=30)


class DischargeIn(_In):
    activity: int = Field(ge=0, le=2)
    respiration: int = Field(ge=0, le=2)
    circulation: int = Field(ge=0, le=2)
    consciousness: int = Field(ge=0, le=2)
    oxygen_saturation: int = Field(ge=0, le=2)
    escort_present: Bool = False
    instructions_given: Bool = False


class AddendumIn(_In):
    text: str = Field(min_length=3, max_length=10_000)


class RemsIn(_In):
    fields: dict[str, Any]


class RemsSentIn(_In):
    sent_on: IsoDate
    reference: str = Field(default="", max_length=80)


class DrawnOut(BaseModel):
    lot: str = Field(description="The lot of a container the dose was drawn from")
    mg: Number = Field(description="Drawn from it, mg")


class SessionOut(BaseModel):
    id: int
    patient_id: int
    appointment_id: int | None
    plan_id: int
    session_number: int
    protocol_id: str
    state: str
    state_label: str
    phase: str
    actions: list[str]
    checked_in_at: IsoDateTime | None
    administration_started_at: IsoDateTime | None
    administration_ended_at: IsoDateTime | None
    discharged_at: IsoDateTime | None
    rate_ml_per_h: Number | None
    next_reading_due: IsoDateTime | None
    open_alerts: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    blocking: list[str]
    drawn_from: list[DrawnOut] = Field(
        default_factory=list,
        description="The containers the released dose was drawn from (two when one "
        "did not hold it), first to second",
    )
