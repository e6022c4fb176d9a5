"""The next-morning check-in (issue 21): after a session is discharged, a message at
the clinic's check-in hour (09:00 by default) the next morning, with the crisis line.
Queued once per session; a session discharged more than a day and a half ago is past
its check-in and left out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.chairside.models import ChairsideSession
from ketaclinic.clinical.messaging import next_morning
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import as_utc
from ketaclinic.notifications.models import Message
from ketaclinic.notifications.service import queue

LOOK_BACK = timedelta(hours=36)


def discharged_since(db: Session, clinic_ids: list[int], since: datetime) -> list[ChairsideSession]:
    stmt = select(ChairsideSession).where(
        ChairsideSession.discharged_at.is_not(None), ChairsideSession.discharged_at >= since
    )
    stmt = in_clinics(stmt, ChairsideSession.clinic_id, clinic_ids)
    return list(db.scalars(stmt.order_by(ChairsideSession.id)))


def queue_checkins(db: Session, now: datetime) -> list[Message]:
    queued: list[Message] = []
    for clinic in db.scalars(select(Clinic).order_by(Clinic.id)):
        hour = for_clinic(db, clinic.id).checkin_hour
        for session in discharged_since(db, [clinic.id], now - LOOK_BACK):
            assert session.discharged_at is not None
            at = next_morning(as_utc(session.discharged_at), timezone=clinic.timezone, hour=hour)
            if now > at + timedelta(hours=12):
                continue
            made = queue(
                db,
                clinic_id=clinic.id,
                patient_id=session.patient_id,
                template="post_infusion_checkin",
                event_key=f"post_infusion_checkin:{session.id}",
                link_path="/portal",
                not_before=at,
            )
            if made is not None:
                queued.append(made)
    return queued
