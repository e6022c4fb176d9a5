"""The public consultation request and the staff conversion form."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ketaclinic.kit.fields import Bool, Email, IsoDateTime, Name, PastDate, Phone
from ketaclinic.patients.schemas import SexAtBirth

# A short self-screen. The answers help the clinician prepare the consultation; the
# public never sees a verdict (a clinician decides eligibility).
QUESTIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "concern",
        "What would you like help with?",
        [
            ("depression", "Depression"),
            ("anxiety", "Anxiety"),
            ("ptsd", "PTSD"),
            ("chronic_pain", "Chronic pain"),
            ("other", "Something else"),
        ],
    ),
    (
        "prior_treatments",
        "How many antidepressant or other treatments have you tried?",
        [
            ("none", "None yet"),
            ("one", "One"),
            ("two_plus", "Two or more"),
            ("unsure", "Not sure"),
        ],
    ),
    (
        "pregnant",
        "Are you pregnant, planning a pregnancy or breastfeeding?",
        [
            ("no", "No"),
            ("yes", "Yes"),
            ("unsure", "Not sure / prefer not to say"),
        ],
    ),
    (
        "psychosis",
        "Have you ever been told you have psychosis or schizophrenia?",
        [
            ("no", "No"),
            ("yes", "Yes"),
            ("unsure", "Not sure / prefer not to say"),
        ],
    ),
    (
        "blood_pressure",
        "Do you have high blood pressure or a heart condition?",
        [
            ("no", "No"),
            ("yes", "Yes"),
            ("unsure", "Not sure / prefer not to say"),
        ],
    ),
]
ANSWER_VALUES = {qid: {value for value, _ in options} for qid, _, options in QUESTIONS}


class InquiryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: Name
    family_name: Name
    phone: Phone | None = None
    email: Email | None = None
    preferred_times: str = Field(default="", max_length=300)
    answers: dict[str, str] = Field(default_factory=dict)
    consent_to_contact: Bool = False

    def problems(self) -> dict[str, str]:
        """Checks across fields, by field name (the service raises them)."""
        found = {}
        if not self.consent_to_contact:
            found["consent_to_contact"] = "tick the box so the clinic may contact you"
        if not self.phone and not self.email:
            found["phone"] = "give a phone number or an email address"
        for qid, value in self.answers.items():
            if qid not in ANSWER_VALUES or value not in ANSWER_VALUES[qid]:
                found[f"answers.{qid}"] = "not one of the choices"
        return found


class InquiryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    clinic_id: int
    given_name: str
    family_name: str
    phone: str | None
    email: str | None
    preferred_times: str
    answers: dict[str, str]
    consent_to_contact: Bool
    status: str
    created_at: IsoDateTime
    patient_id: int | None


class ConvertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    birth_date: PastDate
    sex_at_birth: SexAtBirth
    confirm_duplicate_reason: Annotated[str, Field(max_length=500)] | None = Field(
        default=None,
        description="Convert although the answer was 409 `likely_duplicate`: why the "
        "inquirer is a different person (recorded on the chart and in the audit trail).",
    )


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["new", "contacted", "closed"]
