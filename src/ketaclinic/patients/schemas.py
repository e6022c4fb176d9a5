"""What the patient API accepts and returns."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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

SexAtBirth = Literal["female", "male", "intersex", "unknown"]
PatientStatus = Literal["active", "inactive"]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


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


class MeasurementIn(_In):
    weight_kg: WeightKg | None = None
    height_cm: HeightCm | None = None
    measured_at: IsoDateTime | None = None

    @model_validator(mode="after")
    def _one_of(self) -> MeasurementIn:
        if self.weight_kg is None and self.height_cm is None:
            raise ValueError("give weight_kg, height_cm or both")
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


class PatientCreate(_Demographics):
    given_name: Name
    family_name: Name
    birth_date: PastDate
    sex_at_birth: SexAtBirth
    weight_kg: WeightKg | None = None
    height_cm: HeightCm | None = None
    clinic_id: int | None = Field(
        default=None, description="Needed only when you work in more than one clinic."
    )
    contacts: list[ContactIn] = Field(default_factory=list, max_length=10)
    diagnoses: list[DiagnosisIn] = Field(default_factory=list, max_length=30)
    medications: list[MedicationIn] = Field(default_factory=list, max_length=50)
    allergies: list[AllergyIn] = Field(default_factory=list, max_length=30)


class PatientUpdate(_Demographics):
    """Only the fields sent are changed; a new weight or height adds a measurement."""

    given_name: Name | None = None
    family_name: Name | None = None
    birth_date: PastDate | None = None
    sex_at_birth: SexAtBirth | None = None
    status: PatientStatus | None = None
    weight_kg: WeightKg | None = None
    height_cm: HeightCm | None = None

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
    status: str
    weight_kg: Number | None = None
    height_cm: Number | None = None
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
