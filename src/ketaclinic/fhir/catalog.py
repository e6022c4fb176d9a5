"""Every resource of one type the caller's clinics hold, narrowed by patient and id
in the query where the id says which table row it comes from. Each resource comes
with the patient and clinic it belongs to (for the audit trail)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from ketaclinic.clinical.scales import (
    Instrument,
    UnknownInstrumentError,
    get_instrument,
    load_instruments,
)
from ketaclinic.fhir import mapping_care as care
from ketaclinic.fhir import mapping_clinical as clinical
from ketaclinic.fhir import mapping_people as people
from ketaclinic.fhir import repository as repo
from ketaclinic.fhir.mapping_care import ProtocolFacts
from ketaclinic.fhir.repository import Window


@dataclass
class Found:
    """A resource, made when first asked for: a page of a large search maps only its
    own rows."""

    make: Callable[[], dict[str, Any]]
    patient_id: int | None = None
    clinic_id: int | None = None
    made: dict[str, Any] | None = None
    known_id: str | None = None  # the id, when known before the resource is made
    key: int | None = None  # the table row's id, where a search pages by it

    @property
    def resource(self) -> dict[str, Any]:
        if self.made is None:
            self.made = self.make()
        return self.made

    @property
    def id(self) -> str:
        return self.known_id or str(self.resource["id"])


def _made(
    resource: dict[str, Any], patient_id: int | None, clinic_id: int | None, key: int | None = None
) -> Found:
    return Found(lambda: resource, patient_id, clinic_id, resource, key=key)


@dataclass(frozen=True)
class Scope:
    clinic_ids: Sequence[int]
    protocols: Mapping[str, ProtocolFacts] = field(default_factory=dict)


PatientIds = Sequence[int] | None
Ids = Sequence[str] | None
Builder = Callable[[Session, Scope, PatientIds, Ids, Window | None], list[Found]]


def _ints(ids: Ids, prefix: str = "") -> list[int] | None:
    """Row ids named by FHIR ids of the form ``[prefix]N``; None when any id may match."""
    if ids is None:
        return None
    found = []
    for one in ids:
        rest = one.removeprefix(prefix) if prefix else one
        if (not prefix or one.startswith(prefix)) and rest.isdigit() and len(rest) < 10:
            found.append(int(rest))
    return found


def _patients(
    db: Session, scope: Scope, patient_ids: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    wanted: Sequence[int] | None = _ints(ids)
    if patient_ids is not None:
        wanted = (
            patient_ids  # every patient asked for (a range stays one BETWEEN)
            if wanted is None
            else [i for i in patient_ids if i in wanted]
        )
    rows = repo.patients(db, scope.clinic_ids, wanted, window)
    return [Found(partial(people.patient, p), p.id, p.clinic_id, key=p.id) for p in rows]


def _practitioners(
    db: Session, scope: Scope, _: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    rows = repo.users(db, scope.clinic_ids, _ints(ids), window)
    return [Found(partial(people.practitioner, u), key=u.id) for u in rows]


def _roles(
    db: Session, scope: Scope, _: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    rows = repo.memberships(db, scope.clinic_ids, _ints(ids), window=window)
    return [
        Found(partial(people.practitioner_role, m, u), None, m.clinic_id, key=m.id) for m, u in rows
    ]


def _organizations(
    db: Session, scope: Scope, _: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    rows = repo.clinics(db, scope.clinic_ids, _ints(ids), window)
    return [Found(partial(people.organization, c), None, c.id, key=c.id) for c in rows]


def _locations(
    db: Session, scope: Scope, _: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    rows = repo.clinics(db, scope.clinic_ids, _ints(ids), window)
    return [Found(partial(people.location, c), None, c.id, key=c.id) for c in rows]


def _children(query: Callable[..., list[Any]], to_fhir: Callable[[Any], dict[str, Any]]) -> Builder:
    def build(
        db: Session, scope: Scope, patient_ids: PatientIds, ids: Ids, window: Window | None = None
    ) -> list[Found]:
        rows = query(db, scope.clinic_ids, patient_ids, _ints(ids), window)
        return [
            Found(partial(to_fhir, row), row.patient_id, clinic_id, key=row.id)
            for row, clinic_id in rows
        ]

    return build


def instrument_or_none(instrument_id: str) -> Instrument | None:
    try:
        return get_instrument(instrument_id)
    except UnknownInstrumentError:
        return None


def _observations(
    db: Session, scope: Scope, patient_ids: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    """Every observation of the patients (three tables, several per row: a search
    names the patient, so it is not paged by row)."""
    found: list[Found] = []
    reading_ids = _union(ids, "bp-", "hr-", "rr-", "spo2-")
    if reading_ids is None or reading_ids:
        for r, clinic_id in repo.vital_readings(db, scope.clinic_ids, patient_ids, reading_ids):
            found += [
                Found(
                    partial(clinical.vital_of_reading, r, key),
                    r.patient_id,
                    clinic_id,
                    None,
                    f"{key}-{r.id}",
                )
                for key in clinical.reading_keys(r)
            ]
    measurement_ids = _union(ids, "weight-", "height-")
    if measurement_ids is None or measurement_ids:
        rows = repo.measurements(db, scope.clinic_ids, patient_ids, measurement_ids)
        for m, clinic_id in rows:
            found += [_made(o, m.patient_id, clinic_id) for o in clinical.vitals_of_measurement(m)]
    response_ids = _union(ids, "score-") if ids is None else _response_ids(ids)
    if response_ids is None or response_ids:
        for q, clinic_id in repo.responses(db, scope.clinic_ids, patient_ids, response_ids):
            instrument = instrument_or_none(q.instrument_id)
            if instrument is not None:
                scores = clinical.scores_of_response(q, instrument)
                found += [_made(o, q.patient_id, clinic_id) for o in scores]
    if ids is not None:
        found = [f for f in found if f.id in ids]
    return found


def _union(ids: Ids, *prefixes: str) -> list[int] | None:
    if ids is None:
        return None
    return sorted({i for prefix in prefixes for i in _ints(ids, prefix) or []})


def _response_ids(ids: Sequence[str]) -> list[int]:
    """score-N and item-...-N name response N."""
    tails = [one.rsplit("-", 1)[-1] for one in ids if one.startswith(("score-", "item-"))]
    return sorted({int(t) for t in tails if t.isdigit() and len(t) < 10})


def _questionnaires(
    db: Session, scope: Scope, _: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    found = [
        _made(clinical.questionnaire(i), None, None) for _, i in sorted(load_instruments().items())
    ]
    return [f for f in found if ids is None or f.resource["id"] in ids]


def _responses(
    db: Session, scope: Scope, patient_ids: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    found = []
    for q, clinic_id in repo.responses(db, scope.clinic_ids, patient_ids, _ints(ids), window):
        instrument = instrument_or_none(q.instrument_id)
        if instrument is not None:
            found.append(
                Found(
                    partial(clinical.questionnaire_response, q, instrument),
                    q.patient_id,
                    clinic_id,
                    key=q.id,
                )
            )
    return found


def _encounters(
    db: Session, scope: Scope, patient_ids: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    rows = repo.sessions(db, scope.clinic_ids, patient_ids, _ints(ids), window)
    return [
        Found(partial(care.encounter, s, a), s.patient_id, s.clinic_id, key=s.id)
        for s, a, _ in rows
    ]


def _appointments(
    db: Session, scope: Scope, patient_ids: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    rows = repo.appointments(db, scope.clinic_ids, patient_ids, _ints(ids), window)
    return [Found(partial(care.appointment, a), a.patient_id, a.clinic_id, key=a.id) for a in rows]


def _administrations(
    db: Session, scope: Scope, patient_ids: PatientIds, ids: Ids, window: Window | None = None
) -> list[Found]:
    rows = repo.sessions(db, scope.clinic_ids, patient_ids, _ints(ids), window)
    given = repo.doses_given(db, scope.clinic_ids, [s.id for s, _, _ in rows])
    checks = repo.dose_checks(
        db, scope.clinic_ids, [s.dose_check_id for s, _, _ in rows if s.dose_check_id]
    )
    protocols = repo.plan_protocols(db, scope.clinic_ids, sorted({s.plan_id for s, _, _ in rows}))
    found = []
    for s, _, t in rows:
        if s.id not in given:
            continue
        check = checks.get(s.dose_check_id) if s.dose_check_id else None
        facts = scope.protocols.get(protocols.get(s.plan_id, ""))
        resource = care.medication_administration(s, given[s.id], t, check, facts)
        if resource is not None:
            found.append(_made(resource, s.patient_id, s.clinic_id, s.id))
    return found


def _plans(to_fhir: Callable[..., dict[str, Any]]) -> Builder:
    def build(
        db: Session, scope: Scope, patient_ids: PatientIds, ids: Ids, window: Window | None = None
    ) -> list[Found]:
        rows = repo.plans(db, scope.clinic_ids, patient_ids, _ints(ids), window)
        events = repo.plan_events(db, scope.clinic_ids, [p.id for p, _ in rows])
        return [
            Found(
                partial(to_fhir, p, events.get(p.id, []), scope.protocols.get(p.protocol_id)),
                p.patient_id,
                clinic_id,
                key=p.id,
            )
            for p, clinic_id in rows
        ]

    return build


BUILDERS: dict[str, Builder] = {
    "Patient": _patients,
    "Practitioner": _practitioners,
    "PractitionerRole": _roles,
    "Organization": _organizations,
    "Location": _locations,
    "Encounter": _encounters,
    "Appointment": _appointments,
    "Observation": _observations,
    "Questionnaire": _questionnaires,
    "QuestionnaireResponse": _responses,
    "Condition": _children(repo.diagnoses, clinical.condition),
    "MedicationStatement": _children(repo.medications, clinical.medication_statement),
    "AllergyIntolerance": _children(repo.allergies, clinical.allergy),
    "MedicationAdministration": _administrations,
    "MedicationRequest": _plans(care.medication_request),
    "CarePlan": _plans(care.care_plan),
}


# The types a search pages by their table's row id (one resource a row at most);
# Observation (several tables, several a row) is searched for one patient only, and
# Questionnaire is our short list of instruments.
PAGED_BY_ROW = frozenset(BUILDERS) - {"Observation", "Questionnaire"}


def build(
    db: Session,
    resource_type: str,
    scope: Scope,
    patient_ids: PatientIds,
    ids: Ids,
    window: Window | None = None,
) -> list[Found]:
    """The resources; with a ``window`` (a type of ``PAGED_BY_ROW`` only), those of
    one page of rows, the window noting where the page ended."""
    return BUILDERS[resource_type](db, scope, patient_ids, ids, window)
