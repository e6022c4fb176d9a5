"""What the patient API accepts and returns."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ketaclinic.kit.fields import (
    Bool,
    Email,
    HeightCm,
    Icd10Code,
    IsoDate,
    IsoDateTime,
    Name,
    Number,
    OptionalText,
    PastDate,
    Phone,
    ShortText,
    WeightKg,
)
from ketaclinic.kit.pagination import Page
from ketaclinic.patients import units
from ketaclinic.patients.units import HeightUnit, WeightUnit

SexAtBirth = Literal["female", "male", "intersex", "unknown"]
PatientStatus = Literal["active", "inactive"]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}: use a name like America/Denver") from None
    return value


TimeZone = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The patient's IANA time zone, when not the clinic's (e.g. America/Denver)",
    ),
    AfterValidator(_known_zone),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(_In):
    name: ShortText
    relationship: OptionalText = ""
    phone: Phone
    is_escort: Bool = False
    is_emergency: Bool = True


class DiagnosisIn(_In):
    code: Icd10Code
    label: ShortText


class MedicationIn(_In):
    name: ShortText
    dose: OptionalText = ""


class AllergyIn(_In):
    substance: ShortText
    reaction: OptionalText = ""


_Entered = Annotated[
    Decimal | None,
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "null"}]}, mode="validation"),
]


class _BodyIn(_In):
    """Weight and height in the unit entered (``weight`` + ``weight_unit``, ``height`` +
    ``height_unit``; the range is checked in that unit) or directly as ``weight_kg``
    and ``height_cm``. After validation ``weight_kg``/``height_cm`` hold what is
    stored and ``weight``/``height`` with their units what was entered."""

    # The units come before the values: a value's check reads its unit.
    weight_unit: WeightUnit = Field(default="kg", description="The unit `weight` is in")
    height_unit: HeightUnit = Field(default="cm", description="The unit `height` is in")
    weight: _Entered = Field(default=None, description="Weight in `weight_unit`")
    height: _Entered = Field(default=None, description="Height in `height_unit`")
    weight_kg: WeightKg | None = None
    height_cm: HeightCm | None = None

    @field_validator("weight", "height", mode="before")
    @classmethod
    def _in_its_unit(cls, value: Any, info: ValidationInfo) -> Decimal | None:
        if value is None:
            return None
        field = str(info.field_name)
        unit = info.data.get(f"{field}_unit")
        if unit is None:  # the unit itself was refused; its own error says why
            return None
        try:
            return units.enter(field, value, unit).value
        except units.UnitError as exc:
            raise ValueError(exc.message) from None

    @model_validator(mode="after")
    def _stored_values(self) -> Any:
        for field, stored in (("weight", "weight_kg"), ("height", "height_cm")):
            entered, direct = getattr(self, field), getattr(self, stored)
            if entered is not None and direct is not None:
                raise ValueError(f"give {field} (with {field}_unit) or {stored}, not both")
            unit = getattr(self, f"{field}_unit")
            if entered is not None:
                setattr(self, stored, units.enter(field, entered, unit).stored)
            elif direct is not None:
                setattr(self, field, direct)
                setattr(
                    self,
                    f"{field}_unit",
                    units.WEIGHT_UNITS[0] if field == "weight" else units.HEIGHT_UNITS[0],
                )
        return self

    def body_entered(self) -> dict[str, Any]:
        """The stored values and what was entered, as ``BodyMeasurement`` columns."""
        return {
            "weight_kg": self.weight_kg,
            "height_cm": self.height_cm,
            "weight_entered": self.weight,
            "weight_unit": self.weight_unit if self.weight is not None else None,
            "height_entered": self.height,
            "height_unit": self.height_unit if self.height is not None else None,
        }


class MeasurementIn(_BodyIn):
    measured_at: IsoDateTime | None = None

    @model_validator(mode="after")
    def _one_of(self) -> MeasurementIn:
        if self.weight_kg is None and self.height_cm is None:
            raise ValueError("give a weight, a height or both")
        return self


class _Demographics(_In):
    gender_identity: Annotated[str, Field(max_length=64)] | None = None
    phone: Phone | None = None
    email: Email | None = None
    address_line: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(max_length=100)] | None = None
    region: Annotated[str, Field(max_length=100)] | None = None
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: CountryCode | None = None
    timezone: TimeZone | None = None


class PatientCreate(_Demographics, _BodyIn):
    given_name: Name
    family_name: Name
    birth_date: PastDate
    sex_at_birth: SexAtBirth
    confirm_duplicate_reason: Annotated[str, Field(max_length=500)] | None = Field(
        default=None,
        description="Register although the answer was 409 `likely_duplicate`: why this "
        "is a different person (recorded on the chart and in the audit trail).",
    )
    clinic_id: int | None = Field(
        default=None, description="Needed only when you work in more than one clinic."
    )
    contacts: list[ContactIn] = Field(default_factory=list, max_length=10)
    diagnoses: list[DiagnosisIn] = Field(default_factory=list, max_length=30)
    medications: list[MedicationIn] = Field(default_factory=list, max_length=50)
    allergies: list[AllergyIn] = Field(default_factory=list, max_length=30)


class PatientUpdate(_Demographics, _BodyIn):
    """Only the fields sent are changed; a new weight or height adds a measurement."""

    given_name: Name | None = None
    family_name: Name | None = None
    birth_date: PastDate | None = None
    sex_at_birth: SexAtBirth | None = None
    status: PatientStatus | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> PatientUpdate:
        for name in ("given_name", "family_name", "birth_date", "sex_at_birth", "status"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be cleared")
        return self


class ItemActive(_In):
    active: Bool


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MeasurementOut(_Out):
    id: int
    measured_at: IsoDateTime
    weight_kg: Number | None
    height_cm: Number | None
    weight_entered: Number | None = None
    weight_unit: str | None = None
    height_entered: Number | None = None
    height_unit: str | None = None


class ContactOut(_Out):
    id: int
    name: str
    relationship: str
    phone: str
    is_escort: Bool
    is_emergency: Bool
    active: Bool


class DiagnosisOut(_Out):
    id: int
    code: str
    label: str
    active: Bool


class MedicationOut(_Out):
    id: int
    name: str
    dose: str
    active: Bool


class AllergyOut(_Out):
    id: int
    substance: str
    reaction: str
    active: Bool


class PatientOut(_Out):
    id: int
    clinic_id: int
    mrn: str
    given_name: str
    family_name: str
    birth_date: IsoDate
    sex_at_birth: str
    gender_identity: str | None
    phone: str | None
    email: str | None
    address_line: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    timezone: str | None = Field(
        default=None, description="The patient's own time zone; null: the clinic's"
    )
    status: str
    weight_kg: Number | None = None
    height_cm: Number | None = None
    next_visit: IsoDateTime | None = Field(
        default=None, description="The next booked visit (in the list; null on the chart)"
    )
    duplicate_reason: str | None = Field(
        default=None, description="Why it was registered despite a likely duplicate"
    )
    created_at: IsoDateTime
    updated_at: IsoDateTime


class PatientDetail(PatientOut):
    measurements: list[MeasurementOut]
    contacts: list[ContactOut]
    diagnoses: list[DiagnosisOut]
    medications: list[MedicationOut]
    allergies: list[AllergyOut]


PatientPage = Page[PatientOut]


class AccessEventOut(_Out):
    """One entry of a chart's access log."""

    occurred_at: IsoDateTime
    actor: str
    action: str
    outcome: str
    channel: str
    ip: str
    resource_type: str
    resource_id: str


AccessLogPage = Page[AccessEventOut]
