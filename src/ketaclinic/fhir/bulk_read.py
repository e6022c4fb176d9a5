"""What a bulk export reads for each resource type of a patient's, a part at a time,
and the resources it makes of it.

The types a clinic holds hundreds of thousands of (patients, their measurements and
vital signs, problems, medications, allergies, questionnaire answers) are mapped
straight from plain rows of one table: no ORM object per row, and no lazy wrapper per
resource, since each one made is written at once. The rest (visits, appointments,
administrations, plans: a few per patient, each joined to other rows) are made by the
FHIR server's own builders. Either way the mappers are the FHIR server's, so a
resource exported is the one a read returns.

Plain rows come a page at a time in the table's id order; the builders' types come a
chunk of patients at a time, and a builder's table the clinics hold no row of is asked
once, not once per chunk. Memory: one page of rows or one chunk's, whatever the size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.fhir import catalog
from ketaclinic.fhir import mapping_clinical as clinical
from ketaclinic.fhir import mapping_people as people
from ketaclinic.fhir import repository as repo
from ketaclinic.fhir.catalog import Scope
from ketaclinic.fhir.models import (
    Allergy,
    Appointment,
    BodyMeasurement,
    ChairsideSession,
    Diagnosis,
    Medication,
    Patient,
    QuestionnaireResponse,
    TreatmentPlan,
    VitalReading,
)

Resource = dict[str, Any]
ROWS_AT_ONCE = 20_000  # rows a page holds (memory: a few megabytes)


@dataclass(frozen=True)
class Rows:
    """Resources made from the rows of one table: ``one`` makes a resource of a row,
    ``many`` a list of them (a reading holds several vital signs)."""

    model: Any
    one: Callable[[Any], Resource] | None = None
    many: Callable[[Any], list[Resource]] | None = None


@dataclass(frozen=True)
class Built:
    """Resources the FHIR server's builder for ``resource_type`` makes, from the rows
    of ``model`` and those related to them."""

    resource_type: str
    model: Any


Source = Rows | Built


def _scores(q: Any) -> list[Resource]:
    instrument = catalog.instrument_or_none(q.instrument_id)
    return [] if instrument is None else clinical.scores_of_response(q, instrument)


def _response(q: Any) -> list[Resource]:
    instrument = catalog.instrument_or_none(q.instrument_id)
    return [] if instrument is None else [clinical.questionnaire_response(q, instrument)]


# In the order the FHIR server's builders give them (Observation: readings,
# measurements, then scores).
SOURCES: dict[str, tuple[Source, ...]] = {
    "Patient": (Rows(Patient, one=people.patient),),
    "Encounter": (Built("Encounter", ChairsideSession),),
    "Appointment": (Built("Appointment", Appointment),),
    "Observation": (
        Rows(VitalReading, many=clinical.vitals_of_reading),
        Rows(BodyMeasurement, many=clinical.vitals_of_measurement),
        Rows(QuestionnaireResponse, many=_scores),
    ),
    "QuestionnaireResponse": (Rows(QuestionnaireResponse, many=_response),),
    "Condition": (Rows(Diagnosis, one=clinical.condition),),
    "MedicationStatement": (Rows(Medication, one=clinical.medication_statement),),
    "AllergyIntolerance": (Rows(Allergy, one=clinical.allergy),),
    "MedicationAdministration": (Built("MedicationAdministration", ChairsideSession),),
    "MedicationRequest": (Built("MedicationRequest", TreatmentPlan),),
    "CarePlan": (Built("CarePlan", TreatmentPlan),),
}


def sources(db: Session, resource_type: str, clinic_ids: Sequence[int]) -> list[Source]:
    """The sources of ``resource_type`` to read: a builder's only when the clinics
    hold a row of its table (else its chunks are skipped: one query, not one per
    chunk; an empty table's first page of plain rows is that one query already)."""
    return [
        s
        for s in SOURCES[resource_type]
        if isinstance(s, Rows) or repo.holds_any(db, s.model, clinic_ids)
    ]


def pages(db: Session, scope: Scope, found: Sequence[Source]) -> Iterator[Iterator[Resource]]:
    """The resources of the plain-row sources of ``found``, a page of rows at a time
    (keyset on the table's own id: each page one index range scan)."""
    for source in found:
        if not isinstance(source, Rows):
            continue
        after = 0
        while True:
            rows = repo.rows_after(db, source.model, scope.clinic_ids, after, ROWS_AT_ONCE)
            if rows:
                yield _made(source, rows)
            if len(rows) < ROWS_AT_ONCE:
                break
            after = rows[-1].id


def _made(source: Rows, rows: list[Any]) -> Iterator[Resource]:
    if source.one is not None:
        one = source.one
        for row in rows:
            yield one(row)
    elif source.many is not None:
        many = source.many
        for row in rows:
            yield from many(row)


def built(db: Session, scope: Scope, found: Sequence[Source], chunk: range) -> Iterator[Resource]:
    """The resources the builders of ``found`` make for a chunk of patients (ids from
    the first to the last)."""
    for source in found:
        if isinstance(source, Built):
            for made in catalog.build(db, source.resource_type, scope, chunk, None):
                yield made.resource
