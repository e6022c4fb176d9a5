"""Is this registration a person already on file? Same birth date and a close name
(rapidfuzz's token-sort ratio, so "Lindqvist Maya" matches "Maya Lindquist"), or the
same phone or email. The front desk then opens the existing chart or registers anyway
with a reason, which the chart and the audit trail keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rapidfuzz import fuzz, utils
from sqlalchemy.orm import Session

from ketaclinic.kit.errors import Conflict
from ketaclinic.patients import repository as repo

# A name at least this close (0-100) on the same birth date is a likely duplicate
# (the clinic's setting ``duplicate_name_min_score``; practice, not a reference).
DEFAULT_MIN_SCORE = 85


@dataclass(frozen=True)
class Candidate:
    """A chart the new registration resembles, and why."""

    id: int
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    status: str
    reasons: tuple[str, ...]
    name_score: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mrn": self.mrn,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "birth_date": self.birth_date.isoformat(),
            "status": self.status,
            "reasons": list(self.reasons),
            "name_score": self.name_score,
        }


class LikelyDuplicate(Conflict):
    """409: the registration looks like a chart on file. Send it again with
    ``confirm_duplicate_reason`` to register anyway."""

    code = "likely_duplicate"

    def __init__(self, candidates: list[Candidate]) -> None:
        names = "; ".join(
            f"{c.family_name}, {c.given_name} (MRN {c.mrn}: {', '.join(c.reasons)})"
            for c in candidates
        )
        super().__init__(
            f"This may be a patient already registered: {names}. Open the existing "
            "chart, or register anyway giving confirm_duplicate_reason.",
            {"confirm_duplicate_reason": "is required to register a likely duplicate"},
        )
        self.candidates = candidates

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        body["error"]["candidates"] = [c.as_dict() for c in self.candidates]
        return body


def name_score(given: str, family: str, other_given: str, other_family: str) -> int:
    """How close two full names are, 0-100, ignoring case, punctuation and order."""
    return round(
        fuzz.token_sort_ratio(
            f"{given} {family}", f"{other_given} {other_family}", processor=utils.default_process
        )
    )


def find(
    db: Session,
    clinic_id: int,
    *,
    given_name: str,
    family_name: str,
    birth_date: date,
    phone: str | None,
    email: str | None,
    min_score: int = DEFAULT_MIN_SCORE,
) -> list[Candidate]:
    """The clinic's charts this registration likely duplicates, closest first."""
    found = []
    for row in repo.duplicate_candidates(
        db, clinic_id, birth_date=birth_date, phone=phone, email=email
    ):
        score = name_score(given_name, family_name, row.given_name, row.family_name)
        reasons = []
        if row.birth_date == birth_date and score >= min_score:
            reasons.append("same birth date and a similar name")
        if phone and row.phone == phone:
            reasons.append("same phone")
        if email and row.email and row.email.lower() == email.lower():
            reasons.append("same email")
        if reasons:
            found.append(
                Candidate(
                    id=row.id,
                    mrn=row.mrn,
                    given_name=row.given_name,
                    family_name=row.family_name,
                    birth_date=row.birth_date,
                    status=row.status,
                    reasons=tuple(reasons),
                    name_score=score,
                )
            )
    return sorted(found, key=lambda c: (-len(c.reasons), -c.name_score, c.id))[:10]
