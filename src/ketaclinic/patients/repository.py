"""All queries over patient tables, each limited to the caller's clinics with
``in_clinics`` (a test reads this module and fails on a query that is not)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Integer,
    Numeric,
    Row,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from ketaclinic.kit.db import UTCDateTime, core_execute
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.patients.models import (
    Allergy,
    BodyMeasurement,
    Contact,
    Diagnosis,
    Medication,
    Patient,
)

Child = TypeVar("Child", BodyMeasurement, Contact, Diagnosis, Medication, Allergy)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_conditions(terms: Sequence[str], birth_date: date | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for term in terms:
        pattern = f"%{_like_escape(term.lower())}%"
        conditions.append(
            or_(
                Patient.search_name.like(pattern, escape="\\"),
                func.lower(Patient.mrn).like(pattern, escape="\\"),
            )
        )
    if birth_date is not None:
        conditions.append(Patient.birth_date == birth_date)
    return conditions


def search(
    db: Session,
    clinic_ids: Sequence[int],
    *,
    terms: Sequence[str] = (),
    birth_date: date | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[Row[Any]], int]:
    # The page and the number of matches in one scan: count(*) OVER () is taken over
    # every match before the LIMIT (a separate count read all the rows a second time).
    # Rows of the patient's columns, not entities: a page of results is read, never
    # changed, and 25 entities in the session cost more than the query's own time.
    table = Patient.__table__
    stmt = in_clinics(select(table, func.count().over()), Patient.clinic_id, clinic_ids)
    stmt = stmt.where(*search_conditions(terms, birth_date))
    if status is not None:
        stmt = stmt.where(Patient.status == status)
    postgresql = db.get_bind().dialect.name == "postgresql"
    if postgresql:
        # The pattern is a parameter: once psycopg prepares the statement, PostgreSQL's
        # generic plan guesses the LIKE's selectivity and walks the name index in
        # order, filtering every row (twice the time of a plan for the actual pattern).
        db.execute(text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"))
    page = db.execute(
        stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
        .offset(offset)
        .limit(limit)
    ).all()
    if postgresql:
        db.execute(text("SELECT set_config('plan_cache_mode', 'auto', true)"))
    if page:
        return [row for row in page], page[0][-1]
    if offset == 0:
        return [], 0
    # Past the last page: no row carries the count.
    return [], db.scalar(select(func.count()).select_from(stmt.subquery())) or 0


@lru_cache(maxsize=256)
def _get_statement(clinic_ids: tuple[int, ...]) -> Select[Patient]:
    """Built once per set of visible clinics (the patient is a bound parameter)."""
    stmt = in_clinics(select(Patient), Patient.clinic_id, clinic_ids)
    return stmt.where(Patient.id == bindparam("patient_id"))


def get(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Patient | None:
    """A patient in one of these clinics; another clinic's patient is not found."""
    return db.scalar(_get_statement(tuple(clinic_ids)), {"patient_id": patient_id})


@lru_cache(maxsize=256)
def _get_row_statement(clinic_ids: tuple[int, ...]) -> Select[*tuple[Any, ...]]:
    columns = Patient.__table__.columns
    stmt = in_clinics(select(*columns), Patient.clinic_id, clinic_ids)
    return stmt.where(Patient.id == bindparam("patient_id"))


def get_row(db: Session, clinic_ids: Sequence[int], patient_id: int) -> Row[Any] | None:
    """As ``get``, the patient's columns as a row: for a read that changes nothing, no
    entity and no identity-map bookkeeping (a third less CPU than loading one)."""
    stmt = _get_row_statement(tuple(clinic_ids))
    return core_execute(db, stmt, {"patient_id": patient_id}).first()


def mrn_exists(db: Session, clinic_id: int, mrn: str) -> bool:
    stmt = in_clinics(select(Patient.id), Patient.clinic_id, [clinic_id])
    return db.scalar(stmt.where(Patient.mrn == mrn)) is not None


def _of_patient(model: type[Child], clinic_ids: Sequence[int], patient_id: int) -> Select[Child]:
    stmt = select(model).join(Patient, Patient.id == model.patient_id)
    return in_clinics(stmt, Patient.clinic_id, clinic_ids).where(model.patient_id == patient_id)


# What a chart lists of each child table, in one round trip (``chart_children``):
# each table's columns in its place in one wide row (kind, id, stamp, three texts, two
# numbers, three flags, two more numbers); the first branch names the columns and types
# of the union.
CHART_KINDS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    (
        "measurements",
        BodyMeasurement,
        (
            "measured_at",
            "weight_unit",
            "height_unit",
            "",
            "weight_kg",
            "height_cm",
            "",
            "",
            "",
            "weight_entered",
            "height_entered",
        ),
    ),
    (
        "contacts",
        Contact,
        (
            "recorded_at",
            "name",
            "relationship",
            "phone",
            "",
            "",
            "is_escort",
            "is_emergency",
            "active",
        ),
    ),
    ("diagnoses", Diagnosis, ("recorded_at", "code", "label", "", "", "", "active")),
    ("medications", Medication, ("recorded_at", "name", "dose", "", "", "", "active")),
    ("allergies", Allergy, ("recorded_at", "substance", "reaction", "", "", "", "active")),
)
_SLOTS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("stamp", UTCDateTime()),
    ("s1", String()),
    ("s2", String()),
    ("s3", String()),
    ("n1", Numeric()),
    ("n2", Numeric()),
    ("b1", Boolean()),
    ("b2", Boolean()),
    ("b3", Boolean()),
    # The value as entered, beside its unit in s1/s2 (measurements only).
    ("n3", Numeric()),
    ("n4", Numeric()),
)


@lru_cache(maxsize=256)
def _chart_children_statement(clinic_ids: tuple[int, ...]) -> CompoundSelect[*tuple[Any, ...]]:
    """The statement for one set of visible clinics, built once: SQLAlchemy then
    reuses its cache key and compiled form (building five selects and their union
    cost more than PostgreSQL's time to run it). The patient is a bound parameter."""
    branches = []
    for index, (_, model, names) in enumerate(CHART_KINDS):
        columns: list[Any] = [
            literal_column(str(index), Integer).label("kind"),
            model.id.label("id"),
        ]
        padded = names + ("",) * (len(_SLOTS) - len(names))
        for (slot, type_), name in zip(_SLOTS, padded, strict=True):
            column = getattr(model, name) if name else cast(null(), type_)
            columns.append(column.label(slot))
        stmt = select(*columns).join(Patient, Patient.id == model.patient_id)
        stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
        branches.append(stmt.where(model.patient_id == bindparam("patient_id")))
    return union_all(*branches).order_by(
        literal_column("kind"), literal_column("stamp").desc(), literal_column("id").desc()
    )


def chart_children(
    db: Session, clinic_ids: Sequence[int], patient_id: int
) -> dict[str, list[dict[str, Any]]]:
    """Every child list of one chart, newest first, in one statement (a UNION ALL of
    one scoped select per table) instead of one round trip per table: kind ->
    rows as dicts of the table's listed columns (``id`` and the ``CHART_KINDS``)."""
    stmt = _chart_children_statement(tuple(clinic_ids))
    rows = core_execute(db, stmt, {"patient_id": patient_id}).all()
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind, _, _ in CHART_KINDS}
    for row in rows:
        kind, _, names = CHART_KINDS[row[0]]
        item = {"id": row[1]}
        for offset, name in enumerate(names):
            if name:
                item[name] = row[2 + offset]
        found[kind].append(item)
    return found


def child(
    db: Session, clinic_ids: Sequence[int], model: type[Child], patient_id: int, item_id: int
) -> Child | None:
    return db.scalar(_of_patient(model, clinic_ids, patient_id).where(model.id == item_id))


def latest_body(
    db: Session, clinic_ids: Sequence[int], patient_ids: Sequence[int]
) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """Latest weight and latest height per patient (they may come from different days)."""
    latest: dict[int, tuple[Decimal | None, Decimal | None]] = {
        pid: (None, None) for pid in patient_ids
    }
    if not patient_ids:
        return latest
    stmt = select(
        BodyMeasurement.patient_id, BodyMeasurement.weight_kg, BodyMeasurement.height_cm
    ).join(Patient, Patient.id == BodyMeasurement.patient_id)
    stmt = in_clinics(stmt, Patient.clinic_id, clinic_ids)
    rows = db.execute(
        stmt.where(BodyMeasurement.patient_id.in_(list(patient_ids))).order_by(
            BodyMeasurement.measured_at, BodyMeasurement.id
        )
    )
    for patient_id, weight_kg, height_cm in rows:
        weight, height = latest[patient_id]
        latest[patient_id] = (
            weight_kg if weight_kg is not None else weight,
            height_cm if height_cm is not None else height,
        )
    return latest


def latest_of(
    newest_first: Sequence[Mapping[str, Any]],
) -> tuple[Decimal | None, Decimal | None]:
    """Latest weight and latest height in one patient's measurements (as
    ``chart_children`` lists them, newest first), so a chart that lists them need
    not read them twice."""
    weight = next((m["weight_kg"] for m in newest_first if m["weight_kg"] is not None), None)
    height = next((m["height_cm"] for m in newest_first if m["height_cm"] is not None), None)
    return weight, height


# --- The front desk's queries (issue 19): kept apart from the tuned chart and
# search statements above.


def duplicate_candidates(
    db: Session,
    clinic_id: int,
    *,
    birth_date: date,
    phone: str | None,
    email: str | None,
    limit: int = 50,
) -> list[Any]:
    """The clinic's patients born that day or sharing the phone or email (the
    name's closeness is judged by the caller): id, MRN, names, birth date, phone,
    email, status."""
    matches: list[ColumnElement[bool]] = [Patient.birth_date == birth_date]
    if phone:
        matches.append(Patient.phone == phone)
    if email:
        matches.append(func.lower(Patient.email) == email.lower())
    stmt = in_clinics(
        select(
            Patient.id,
            Patient.mrn,
            Patient.given_name,
            Patient.family_name,
            Patient.birth_date,
            Patient.phone,
            Patient.email,
            Patient.status,
        ),
        Patient.clinic_id,
        [clinic_id],
    )
    return list(db.execute(stmt.where(or_(*matches)).order_by(Patient.id).limit(limit)).all())


def phone_condition(digits: str) -> ColumnElement[bool]:
    """A phone search: the digits typed (any punctuation dropped) inside the stored
    E.164 number, or inside the MRN (an MRN's digits look like a number too)."""
    pattern = f"%{_like_escape(digits)}%"
    return or_(Patient.phone.like(pattern, escape="\\"), Patient.mrn.like(pattern, escape="\\"))


def id_by_reference(db: Session, clinic_ids: Sequence[int], reference: str) -> int | None:
    """A patient's id from what staff typed: the MRN or the numeric id."""
    reference = reference.strip()
    stmt = in_clinics(select(Patient.id), Patient.clinic_id, clinic_ids)
    if reference.isdigit():
        return db.scalar(stmt.where(Patient.id == int(reference)))
    return db.scalar(stmt.where(Patient.mrn == reference.upper()))
