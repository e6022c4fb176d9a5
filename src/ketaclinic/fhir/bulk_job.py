"""The bulk export's job: enqueued after a kick-off commits, and run every minute too
(so an export whose enqueue was lost still starts). Writes the exports queued, oldest
first, one at a time."""

from __future__ import annotations

import logging

from ketaclinic import clinic_data
from ketaclinic.fhir import bulk
from ketaclinic.fhir.deps import facts_of
from ketaclinic.kit import jobs
from ketaclinic.settings import get_settings

log = logging.getLogger(__name__)


def run_exports() -> int:
    """Write every queued export; how many were written."""
    settings = get_settings()
    protocols = facts_of(clinic_data.load(settings).protocols)
    directory = settings.data_dir / "fhir-exports"
    written = 0
    with jobs.job_session(settings) as db:
        while (export := bulk.claim_next(db)) is not None:
            export_id = export.id
            try:
                bulk.write(db, export, directory, protocols)
                written += 1
            except bulk.Cancelled:
                db.rollback()
            except Exception as exc:  # the export fails; the worker goes on
                log.exception("bulk export %s failed", export_id)
                bulk.fail(db, export_id, f"{type(exc).__name__}: {exc}")
    return written


def register_jobs() -> None:
    jobs.register(bulk.JOB, every_minute=True)(run_exports)
