"""The patient's own questionnaire scores over time, when their clinic shows them
(the clinic setting ``portal_show_scores``, off by default). Audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ketaclinic.clinical.scales import Instrument, UnknownInstrumentError, get_instrument
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.measures.models import QuestionnaireResponse
from ketaclinic.portal import repository as repo
from ketaclinic.portal.actor import PortalPatient, record
from ketaclinic.portal.errors import PortalRecordNotFound


@dataclass(frozen=True)
class Series:
    instrument: Instrument
    rows: list[QuestionnaireResponse]
    timezone: str

    @property
    def points(self) -> list[tuple[datetime, int]]:
        return [(r.completed_at, r.total) for r in self.rows]


def shown(db: Session, patient: PortalPatient) -> bool:
    return for_clinic(db, patient.clinic_id).portal_show_scores == 1


def _zone(db: Session, clinic_id: int) -> str:
    clinic = db.get(Clinic, clinic_id)
    return clinic.timezone if clinic is not None else "UTC"


def series(db: Session, patient: PortalPatient) -> list[Series]:
    """Each questionnaire the patient answered, oldest answer first."""
    rows = repo.responses(db, patient.clinic_id, patient.patient_id)
    record(
        db, patient, "portal.scores_read", resource_type="patient", resource_id=patient.patient_id
    )
    zone = _zone(db, patient.clinic_id)
    by_instrument: dict[str, list[QuestionnaireResponse]] = {}
    for row in rows:
        by_instrument.setdefault(row.instrument_id, []).append(row)
    found = []
    for instrument_id, answered in sorted(by_instrument.items()):
        try:
            instrument = get_instrument(instrument_id)
        except UnknownInstrumentError:  # no longer shipped: left out
            continue
        found.append(Series(instrument, answered, zone))
    return found


def one(db: Session, patient: PortalPatient, instrument_id: str) -> Series:
    if not shown(db, patient):
        raise PortalRecordNotFound()
    rows = repo.responses(db, patient.clinic_id, patient.patient_id, instrument_id)
    if not rows:
        raise PortalRecordNotFound()
    record(
        db, patient, "portal.scores_read", resource_type="questionnaire", resource_id=instrument_id
    )
    return Series(get_instrument(instrument_id), rows, _zone(db, patient.clinic_id))
