"""The staff digest of Spravato REMS monitoring forms due (issue 21): once a day per
clinic, from when its messages start (08:00 clinic time by default), one email to each
of the clinic's active staff who may report a REMS form (the permission of its routes,
``SESSION_CHART``) with an email address, when any form is due within the clinic's
``rems_digest_days`` (2 by default) or overdue. Counts and a link to
``/rems`` only: no patient, no health detail. It goes through the outbox
(``notifications.queue``): logged, deduplicated by ``rems_forms_due:{clinic}:{local
date}:{user}``, retried, and shown on ``/admin/outbox``."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit.service import record
from ketaclinic.auth.models import Membership, User
from ketaclinic.chairside.service.chart import ChairsidePolicy
from ketaclinic.chairside.service.rems import rems_due_in_clinics
from ketaclinic.clinics.models import Clinic
from ketaclinic.clinics.settings import for_clinic
from ketaclinic.identity.roles import Permission, roles_with
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.kit.time import as_utc, to_local
from ketaclinic.notifications.models import Message
from ketaclinic.notifications.service import queue

TEMPLATE = "rems_forms_due"
# The digest goes with the clinic's morning, when its messages start
# (``quiet_end_morning_hour``), and lists the forms due within ``rems_digest_days``
# and the overdue: both clinic settings (practice; docs/clinical-references.md#rems).
# Whoever may report a REMS form (the permission of its routes in identity/routes.py).
REPORTS_REMS = Permission.SESSION_CHART


def recipients(db: Session, clinic_id: int) -> list[User]:
    """The clinic's active staff who may report REMS forms and have an email address."""
    roles = sorted(str(r) for r in roles_with(REPORTS_REMS))
    stmt = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.clinic_id == clinic_id,
            Membership.role.in_(roles),
            User.is_active.is_(True),
            User.email != "",
        )
        .order_by(User.id)
    )
    return list(db.scalars(stmt))


def _sent_today(db: Session, clinic_id: int, day: str) -> bool:
    prefix = f"{TEMPLATE}:{clinic_id}:{day}:"
    stmt = select(Message.id).where(
        Message.template == TEMPLATE, Message.event_key.startswith(prefix, autoescape=True)
    )
    return db.scalar(in_clinics(stmt, Message.clinic_id, [clinic_id]).limit(1)) is not None


def queue_rems_digests(db: Session, now: datetime, policy: ChairsidePolicy) -> list[Message]:
    """Queue today's digest for every clinic where its messages have started for the day
    and none went today
    (the scan runs every minute and acts once a clinic-day); the messages queued."""
    queued: list[Message] = []
    for clinic in db.scalars(select(Clinic).order_by(Clinic.id)):
        local = to_local(now, clinic.timezone)
        limits = for_clinic(db, clinic.id)
        if local.time() < time(limits.quiet_end_morning_hour):
            continue
        day = local.date().isoformat()
        if _sent_today(db, clinic.id, day):
            continue
        horizon = local.date() + timedelta(days=limits.rems_digest_days)
        due = [d for d in rems_due_in_clinics(db, [clinic.id], policy, now) if d.due_on <= horizon]
        if not due:
            continue
        counts = {"due_count": len(due), "overdue_count": sum(1 for d in due if d.overdue)}
        opening = time(limits.quiet_end_morning_hour)
        start = as_utc(datetime.combine(local.date(), opening, tzinfo=local.tzinfo))
        made = []
        for user in recipients(db, clinic.id):
            message = queue(
                db,
                clinic_id=clinic.id,
                user_id=user.id,
                template=TEMPLATE,
                event_key=f"{TEMPLATE}:{clinic.id}:{day}:{user.id}",
                link_path="/rems",
                not_before=start,
                counts=counts,
            )
            if message is not None:
                made.append(message)
        if made:
            record(
                db,
                None,
                "rems.digest_queued",
                clinic_id=clinic.id,
                resource_type="rems_forms",
                detail=counts | {"recipients": len(made), "day": day},
                actor="notifications",
            )
        queued += made
    return queued
