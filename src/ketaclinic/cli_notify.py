"""``ketaclinic worker`` (the job runner: huey's consumer with the minute's periodic
job) and ``ketaclinic reminders send-due [--now ISO-TIME]`` (one scan and delivery, at
once, for operators and tests). Also the jobs themselves: the scans that queue visit
reminders, next-morning check-ins, questionnaires due and the staff digest of REMS
forms due, and delivery of whatever is due."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.appointments.reminders import queue_reminders
from ketaclinic.chairside.checkins import queue_checkins
from ketaclinic.chairside.rems_digest import TEMPLATE as REMS_TEMPLATE
from ketaclinic.chairside.rems_digest import queue_rems_digests
from ketaclinic.chairside.service.chart import ChairsidePolicy
from ketaclinic.cli_common import err, out, unit_of_work
from ketaclinic.clinics.models import Clinic
from ketaclinic.kit import jobs
from ketaclinic.kit.time import clock_shift, shifted_clock, utcnow
from ketaclinic.notifications.delivery import Outcome, deliver_due
from ketaclinic.notifications.service import DELIVER_JOB
from ketaclinic.notifications.templates import title
from ketaclinic.outcomes import jobs as booster_jobs
from ketaclinic.previsit import service as previsit
from ketaclinic.settings import Settings, get_settings

SCAN_JOB = "notifications.scan"
QUESTIONNAIRE_JOB = "previsit.questionnaire_scan"
REMS_JOB = "chairside.rems_forms_due"

reminders_app = typer.Typer(help="Reminders and other messages to patients.", no_args_is_help=True)


@dataclass(frozen=True)
class Report:
    queued: Counter[str]
    outcomes: list[Outcome]


def queue_questionnaire_notices(db: Session, now: datetime) -> int:
    """The questionnaire scan (``previsit``) over every clinic: how many it queued."""
    clinic_ids = list(db.scalars(select(Clinic.id).order_by(Clinic.id)))
    return previsit.queue_due_notices(db, clinic_ids, now)


def chairside_policy(settings: Settings) -> ChairsidePolicy:
    """The chairside policy system work reads (which protocols are under the REMS)."""
    from ketaclinic.clinical.chairside import load_alert_rules, load_checklist, load_vocabulary
    from ketaclinic.clinical.treatment import load_protocols
    from ketaclinic.ledger.service import LedgerPolicy
    from ketaclinic.plans.service import PlanPolicy

    return ChairsidePolicy(
        plan=PlanPolicy(protocols=load_protocols(settings.protocols_dir)),
        ledger=LedgerPolicy.from_settings(settings),
        rules=load_alert_rules(),
        checklist=load_checklist(),
        vocabulary=load_vocabulary(),
    )


def queue_rems_forms_due(db: Session, settings: Settings, now: datetime) -> int:
    """The staff digest of REMS forms due (``chairside.rems_digest``): how many queued."""
    return len(queue_rems_digests(db, now, chairside_policy(settings)))


def send_due(
    db: Session,
    settings: Settings,
    now: datetime,
    *,
    questionnaires: bool = True,
    rems_forms: bool = True,
) -> Report:
    """One scan (visit reminders, next-morning check-ins and, unless told not to, the
    questionnaires due and the staff digest of REMS forms due) and one delivery round."""
    queued = queue_reminders(db, now) + queue_checkins(db, now)
    counts = Counter(m.template for m in queued)
    if questionnaires and (notices := queue_questionnaire_notices(db, now)):
        counts["questionnaire_due"] += notices
    if rems_forms and (digests := queue_rems_forms_due(db, settings, now)):
        counts[REMS_TEMPLATE] += digests
    db.commit()
    outcomes = deliver_due(db, settings=settings, now=now)
    return Report(counts, outcomes)


def register_jobs() -> None:
    """The worker's jobs: delivery (enqueued after a commit that queued a message), the
    scan with delivery, every minute (so nothing waits on a lost enqueue), and the
    questionnaire scan and the REMS-forms-due digest every minute (their messages go by
    the delivery they enqueue, or the next minute's; the digest acts once a clinic-day)."""

    booster_jobs.install()  # outcomes.boosters: a score recorded, and every minute

    @jobs.register(DELIVER_JOB)
    def deliver() -> None:
        with jobs.job_session() as db:
            deliver_due(db)

    @jobs.register(SCAN_JOB, every_minute=True)
    def scan() -> None:
        with jobs.job_session() as db:
            send_due(db, get_settings(), utcnow(), questionnaires=False, rems_forms=False)

    @jobs.register(QUESTIONNAIRE_JOB, every_minute=True)
    def questionnaire_scan() -> None:
        with jobs.job_session() as db:
            queue_questionnaire_notices(db, utcnow())

    from ketaclinic.fhir.bulk_job import register_jobs as fhir_jobs

    fhir_jobs()  # the FHIR bulk export (issue 22)

    @jobs.register(REMS_JOB, every_minute=True)
    def rems_forms_due() -> None:
        with jobs.job_session() as db:
            queue_rems_forms_due(db, get_settings(), utcnow())


def _parse_now(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            "must be an ISO time with its offset, like 2026-12-09T08:00:00-06:00"
        ) from None
    if when.tzinfo is None:
        raise typer.BadParameter(
            "needs its offset from UTC (e.g. -06:00 or Z): a time alone is ambiguous"
        )
    return when


@reminders_app.command("send-due")
def send_due_command(
    now: Annotated[
        str | None,
        typer.Option(help="Run as if it were this time (ISO with offset); default: now"),
    ] = None,
) -> None:
    """Queue the reminders, check-ins, questionnaire notices and staff digests of REMS
    forms now due and send every message due, once."""
    when = _parse_now(now) if now is not None else None
    settings = get_settings()
    with unit_of_work() as db:
        jobs.see_every_clinic(db)
        # The command's own clock: every record it writes is stamped at --now.
        shift = clock_shift() if when is None else when - (utcnow() - clock_shift())
        with shifted_clock(shift):
            report = send_due(db, settings, utcnow())
    for template, count in sorted(report.queued.items()):
        out.print(f"queued {count}: {title(template)}")
    counts = Counter(o.status for o in report.outcomes)
    for o in report.outcomes:
        channel = f" by {o.channel}" if o.channel else ""
        detail = f" ({o.detail})" if o.detail and o.status != "sent" else ""
        out.print(f"message {o.message_id}: {title(o.template)} {o.status}{channel}{detail}")
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing due"
    out.print(f"Done: {sum(report.queued.values())} queued; {summary}.")


def worker(
    workers: Annotated[int, typer.Option(min=1, max=16, help="Threads running jobs")] = 2,
) -> None:
    """Run the job runner (huey's consumer): delivers messages after the change that
    queued them commits, and every minute scans for reminders and sends what is due."""
    settings = get_settings()
    jobs.configure(settings)
    register_jobs()
    kind, _ = jobs.queue_store(settings)
    err.print(f"KetaClinic worker ({kind.__name__}); Ctrl+C stops it")
    jobs.run_consumer(workers=workers)


def register(app: typer.Typer) -> None:
    app.add_typer(reminders_app, name="reminders")
    app.command("worker")(worker)
