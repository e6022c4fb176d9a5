"""Reading a FHIR R4 Bundle another system exported, for onboarding a clinic: the
patients with their conditions, medications and allergies, as KetaClinic's own
registration bodies (``PatientCreate``), and every entry that cannot be taken with
the reason. No database here: what the bundle says, checked against the
``fhir.resources`` models (R4B, the closest release it ships to R4) and then against
the registry's own validation.

Mapping (docs/clinical-references.md#fhir-import):
- Patient: the first ``official`` (else first) name; ``birthDate``; sex at birth from
  the US Core birth-sex extension (F, M, UNK) — FHIR's ``gender`` is administrative
  gender, not sex at birth, so without the extension sex at birth is ``unknown``;
  the first phone and email; the first address.
- Condition: an ICD-10-CM coding (``http://hl7.org/fhir/sid/icd-10-cm``); other code
  systems are refused (the chart keeps ICD-10-CM). Not active (resolved, inactive,
  remission) is kept as inactive; entered-in-error is refused.
- MedicationStatement: the medication's text or first coding's display, the dosage
  text; not active (completed, stopped…) is kept as inactive.
- AllergyIntolerance: the substance's text or first coding's display, the first
  reaction's manifestation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ketaclinic.patients.schemas import AllergyIn, DiagnosisIn, MedicationIn, PatientCreate

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
BIRTH_SEX_CODES = {"F": "female", "M": "male", "UNK": "unknown"}
TAKEN = ("Patient", "Condition", "MedicationStatement", "AllergyIntolerance")
# Statuses that mean "no longer so" (kept, inactive) and "never so" (refused).
INACTIVE_CONDITION = {"inactive", "resolved", "remission"}
INACTIVE_MEDICATION = {"completed", "stopped", "not-taken", "on-hold", "intended"}
ERROR_STATUS = "entered-in-error"


class BundleError(ValueError):
    """The file is not a FHIR Bundle at all (nothing of it can be read)."""


@dataclass(frozen=True)
class Refusal:
    entry: int  # the entry's position in the bundle, from 1
    resource_type: str
    source_id: str
    reason: str


@dataclass
class Item:
    """A condition, medication or allergy for a patient, with whether it is active."""

    kind: str  # diagnoses, medications, allergies
    body: BaseModel
    active: bool
    entry: int


@dataclass
class PatientIn:
    entry: int
    source_id: str
    body: PatientCreate
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    patients: list[PatientIn]
    refusals: list[Refusal]
    ignored: dict[str, int]  # resource types this import does not take, with counts


def parse(raw: bytes) -> Parsed:
    """Every entry of the bundle, taken or refused with its reason."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise BundleError("not a FHIR Bundle (resourceType must be Bundle)")
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        raise BundleError("Bundle.entry must be a list")
    patients: dict[str, PatientIn] = {}
    refusals: list[Refusal] = []
    ignored: dict[str, int] = {}
    children: list[tuple[int, str, Any, str]] = []
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            refusals.append(Refusal(number, "?", "", "the entry has no resource"))
            continue
        kind = str(resource.get("resourceType", "?"))
        source_id = str(resource.get("id", ""))
        if kind not in TAKEN:
            ignored[kind] = ignored.get(kind, 0) + 1
            continue
        try:
            model = get_fhir_model_class(kind).model_validate(resource)
        except ValidationError as exc:
            refusals.append(Refusal(number, kind, source_id, _first_error(exc)))
            continue
        if kind == "Patient":
            taken = _patient(number, source_id, model, refusals)
            if taken is not None:
                for key in _keys(entry, kind, source_id):
                    patients[key] = taken
        else:
            children.append((number, kind, model, source_id))
    for number, kind, model, source_id in children:
        owner = patients.get(_reference(model))
        if owner is None:
            reason = f"its patient ({_reference(model) or 'none'}) is not a patient taken here"
            refusals.append(Refusal(number, kind, source_id, reason))
            continue
        item = _ITEMS[kind](model)
        if isinstance(item, str):
            refusals.append(Refusal(number, kind, source_id, item))
            continue
        item.entry = number
        owner.items.append(item)
    unique = list({id(p): p for p in patients.values()}.values())
    return Parsed(sorted(unique, key=lambda p: p.entry), refusals, ignored)


def _keys(entry: dict[str, Any], kind: str, source_id: str) -> list[str]:
    """The ways a reference may name this entry: its fullUrl and Type/id."""
    keys = [f"{kind}/{source_id}"] if source_id else []
    full_url = entry.get("fullUrl")
    if isinstance(full_url, str) and full_url:
        keys.append(full_url)
        if source_id and full_url.endswith(f"/{kind}/{source_id}"):
            keys.append(f"{kind}/{source_id}")
    return keys


def _reference(model: Any) -> str:
    subject = getattr(model, "subject", None) or getattr(model, "patient", None)
    return str(getattr(subject, "reference", "") or "")


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "resource"
    return f"{where}: {first['msg']}"


def _patient(number: int, source_id: str, model: Any, refusals: list[Refusal]) -> PatientIn | None:
    names = model.name or []
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    notes: list[str] = []
    sex = "unknown"
    for extension in model.extension or []:
        if extension.url == BIRTH_SEX and extension.valueCode in BIRTH_SEX_CODES:
            sex = BIRTH_SEX_CODES[extension.valueCode]
    if sex == "unknown" and model.gender:
        notes.append(f"sex at birth not recorded (gender '{model.gender}' is not sex at birth)")
    telecom = model.telecom or []
    phone = next((t.value for t in telecom if t.system == "phone" and t.value), None)
    email = next((t.value for t in telecom if t.system == "email" and t.value), None)
    address = (model.address or [None])[0]
    body: dict[str, Any] = {
        "given_name": " ".join(name.given or []) if name is not None else "",
        "family_name": (name.family or "") if name is not None else "",
        "birth_date": model.birthDate,
        "sex_at_birth": sex,
        "phone": phone,
        "email": email,
    }
    if address is not None:
        body.update(
            address_line=", ".join(address.line or []) or None,
            city=address.city,
            region=address.state,
            postal_code=address.postalCode,
            country=address.country if address.country and len(address.country) == 2 else None,
        )
    try:
        created = PatientCreate.model_validate(body)
    except ValidationError as exc:
        refusals.append(Refusal(number, "Patient", source_id, _first_error(exc)))
        return None
    return PatientIn(number, source_id, created, notes=notes)


def _concept_text(concept: Any) -> str:
    if concept is None:
        return ""
    if concept.text:
        return str(concept.text)
    for coding in concept.coding or []:
        if coding.display:
            return str(coding.display)
    return ""


def _status(concept: Any) -> str:
    for coding in (concept.coding or []) if concept is not None else []:
        if coding.code:
            return str(coding.code)
    return ""


def _condition(model: Any) -> Item | str:
    if _status(model.verificationStatus) == ERROR_STATUS:
        return "entered in error"
    codings = (model.code.coding or []) if model.code is not None else []
    coding = next((c for c in codings if c.system == ICD10CM), None)
    if coding is None:
        return "no ICD-10-CM code (the chart keeps ICD-10-CM diagnoses)"
    label = coding.display or _concept_text(model.code) or coding.code
    try:
        body = DiagnosisIn.model_validate({"code": coding.code, "label": label})
    except ValidationError as exc:
        return _first_error(exc)
    active = _status(model.clinicalStatus) not in INACTIVE_CONDITION
    return Item("diagnoses", body, active, 0)


def _medication(model: Any) -> Item | str:
    if model.status == ERROR_STATUS:
        return "entered in error"
    name = _concept_text(getattr(model, "medicationCodeableConcept", None))
    if not name:
        return "the medication is named only by reference (no text or coding display)"
    dose = "; ".join(d.text for d in (model.dosage or []) if d.text)[:200]
    try:
        body = MedicationIn.model_validate({"name": name, "dose": dose})
    except ValidationError as exc:
        return _first_error(exc)
    return Item("medications", body, model.status not in INACTIVE_MEDICATION, 0)


def _allergy(model: Any) -> Item | str:
    if _status(model.verificationStatus) == ERROR_STATUS:
        return "entered in error"
    substance = _concept_text(model.code)
    if not substance:
        return "no substance named (code.text or a coding's display)"
    reaction = ""
    for event in model.reaction or []:
        reaction = ", ".join(filter(None, (_concept_text(m) for m in event.manifestation or [])))
        if reaction:
            break
    try:
        body = AllergyIn.model_validate({"substance": substance, "reaction": reaction[:200]})
    except ValidationError as exc:
        return _first_error(exc)
    active = _status(model.clinicalStatus) not in INACTIVE_CONDITION
    return Item("allergies", body, active, 0)


_ITEMS = {
    "Condition": _condition,
    "MedicationStatement": _medication,
    "AllergyIntolerance": _allergy,
}
