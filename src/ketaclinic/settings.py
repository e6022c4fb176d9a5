"""One settings class for the whole application (env prefix ``KETACLINIC_``)."""

from __future__ import annotations

import os
import secrets
import tempfile
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KETACLINIC_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./ketaclinic.db"
    # The largest request body read (larger: 413 before it is read); 1 MiB.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    # The longest query string read (longer: 414); 8 KiB.
    max_query_bytes: int = Field(default=8192, ge=256, le=1024**2)
    # Requests served at once by one process; the database pool is sized to match
    # (kit.slots). More wait their turn rather than stall the server.
    request_slots: int = Field(default=16, ge=1, le=128)
    # Where staff reach the app: the start of the one-time password links the CLI
    # prints (the pages and the API use the address the request came to).
    public_url: str = "http://127.0.0.1:8000"
    # Where the generated secret key and other local state live.
    data_dir: Path = Path("./var")
    secret_key: SecretStr | None = None
    # Default for new clinics and for display when no clinic is chosen.
    timezone: str = "America/Chicago"
    # None: Secure cookies (and HSTS) only when the request came over HTTPS; True forces both.
    cookie_secure: bool | None = None
    # Behind a reverse proxy: trust its X-Forwarded-For/-Proto from these addresses, so
    # throttles and the audit trail see the client's address and HTTPS is recognised.
    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    session_max_age_minutes: int = Field(default=12 * 60, ge=5, le=7 * 24 * 60)
    # Staff sessions end after this long without a request (HIPAA automatic logoff).
    idle_timeout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Patient portal sessions (their own cookie and table): idle and absolute limits.
    portal_idle_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    portal_session_max_age_minutes: int = Field(default=8 * 60, ge=5, le=7 * 24 * 60)
    # Sign-in throttling: lock an account after this many failures in a row (an
    # admin unlocks it); refuse an address after this many failures in the window.
    max_failed_logins: int = Field(default=5, ge=1, le=100)
    ip_failure_limit: int = Field(default=20, ge=1, le=10_000)
    ip_failure_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Require staff to enrol two-factor before they can open any page.
    require_mfa: bool = False
    # Shortest staff password accepted when an account is created.
    password_min_length: int = Field(default=12, ge=8, le=128)
    # The clinical thresholds below are every clinic's defaults: an administrator may
    # set a clinic's own (clinics.settings.for_clinic; /admin/settings).
    # Outcome rules (defaults: docs/clinical-references.md#outcomes, via clinical.outcomes).
    response_fall_fraction: float = Field(default=0.5, gt=0, lt=1)
    futility_after_treatments: int = Field(default=4, ge=1, le=50)
    relapse_consecutive: int = Field(default=2, ge=1, le=20)
    # PCL-5 response is a fall of this many points, not a percentage
    # (docs/clinical-references.md#outcomes: 10).
    pcl5_fall_points: int = Field(default=10, ge=1, le=80)
    # The patient's course (docs/clinical-references.md#outcomes-reference, McInnes 2022):
    # an induction is 4-8 treatments over 7-28 days from the first; the end-of-induction
    # measure is the last score 14-31 days after its first treatment.
    induction_min_sessions: int = Field(default=4, ge=1, le=20)
    induction_max_sessions: int = Field(default=8, ge=1, le=30)
    induction_min_days: int = Field(default=7, ge=1, le=90)
    induction_max_days: int = Field(default=28, ge=1, le=90)
    outcome_window_from_day: int = Field(default=14, ge=0, le=180)
    outcome_window_to_day: int = Field(default=31, ge=0, le=180)
    # Booster suggested (docs/clinical-references.md#boosters, practice): a responder's
    # score within this fraction of baseline on this many consecutive measures.
    booster_within_fraction: Decimal = Field(default=Decimal("0.25"), gt=0, lt=1)
    booster_consecutive: int = Field(default=2, ge=1, le=10)
    # Patient portal (docs/clinical-references.md#patient-portal, practice): cancelling
    # online up to this long before a visit; whether patients see their own scores.
    portal_cancel_notice_hours: int = Field(default=24, ge=0, le=168)
    portal_show_scores: int = Field(default=0, ge=0, le=1)
    # Patient messages (docs/clinical-references.md#patient-messages, practice): sent
    # from 08:00 until 21:00 clinic time unless urgent; visit reminders 72 h and 24 h
    # before; the next-morning check-in after a treatment at 09:00.
    quiet_end_morning_hour: int = Field(default=8, ge=0, le=12)
    quiet_start_evening_hour: int = Field(default=21, ge=13, le=24)
    reminder_first_hours: int = Field(default=72, ge=1, le=336)
    reminder_second_hours: int = Field(default=24, ge=1, le=336)
    checkin_hour: int = Field(default=9, ge=6, le=12)
    # The staff digest lists the REMS monitoring forms due within this many days, and the
    # overdue (docs/clinical-references.md#rems: each form is due within 7 days; practice).
    rems_digest_days: int = Field(default=2, ge=0, le=7)
    questionnaire_link_hours: int = Field(default=72, ge=1, le=24 * 14)
    # A questionnaire the plan assigns opens this many hours before its visit
    # (docs/clinical-references.md#assigned-questionnaires, practice).
    questionnaire_open_hours: int = Field(default=48, ge=1, le=24 * 14)
    # A clinic's own eligibility rule sets (YAML), checked at start-up like the defaults.
    rules_dir: Path | None = None
    # A clinic's own treatment protocols (YAML), checked at start-up like the packaged ones.
    protocols_dir: Path | None = None
    # A clinic's own consent and shared documents (YAML, ``kind: consent|shared``): a
    # newer version of a packaged id replaces it, a new id adds one; checked at start-up.
    documents_dir: Path | None = None
    # A weight older than this must be re-measured before dosing by it (issue 6 default).
    weight_max_age_days: int = Field(default=30, ge=1, le=365)
    # Drug volumes are rounded to this many mL (practice; a clinic setting).
    volume_step_ml: Decimal = Field(default=Decimal("0.1"), gt=0, le=10)
    # Rounding to that step may move the delivered dose at most this many percent from
    # the ordered dose (docs/clinical-references.md#dose-rounding: +-5%, practice); beyond
    # it the preparation's finer step is used, or the dose is refused with a dilution that
    # would work.
    dose_rounding_tolerance_pct: Decimal = Field(default=Decimal(5), gt=0, le=10)
    # A signed screening clears treatment for this many days (docs/clinical-references.md gives no
    # interval; see clinical.screening.clearance).
    screening_valid_days: int = Field(default=90, ge=1, le=730)
    # Witnesses to the waste of a controlled substance: state or clinic policy
    # (docs/clinical-references.md#controlled-substances, practice); destruction always needs two.
    waste_witnesses: int = Field(default=1, ge=1, le=3)
    # A nurse monitors up to k infusing patients, and is fully busy setting one up
    # (SCHEDULING.md: Hesaraki et al.; a clinic setting).
    nurse_capacity_k: int = Field(default=3, ge=1, le=8)
    # Overrides of the scheduler's objective weights (scheduling.model.Weights), as
    # JSON, e.g. KETACLINIC_SCHEDULE_WEIGHTS='{"day_to_first": 20}'.
    schedule_weights: dict[str, int] = Field(default_factory=dict)
    # Overrides of the protocols' vital-sign alert thresholds for this clinic, as JSON
    # (docs/clinical-references.md#vital-sign-thresholds defaults are practice), e.g.
    # KETACLINIC_VITAL_THRESHOLDS='{"systolic_above": 170}'.
    vital_thresholds: dict[str, int] = Field(default_factory=dict)
    # Overrides of the questionnaires' flag thresholds, per instrument, as JSON (the
    # suicide-item thresholds are practice), e.g.
    # KETACLINIC_SCALE_THRESHOLDS='{"madrs": {"suicide_risk": 3}, "pcl5": {"probable_ptsd": 31}}'.
    scale_thresholds: dict[str, dict[str, int]] = Field(default_factory=dict)
    # Discharge needs a modified Aldrete score of at least this
    # (docs/clinical-references.md#discharge: 9).
    aldrete_min_score: int = Field(default=9, ge=7, le=10)
    # An administration ended before this fraction of its planned duration is an early
    # stop: the nurse says why and enters the amount given (practice; issue 18).
    early_end_fraction: Decimal = Field(default=Decimal("0.8"), gt=0, le=1)
    # A manual reading identical to one taken less than this many minutes before is
    # refused unless confirmed: it is likely the last one sent again (practice).
    repeat_reading_window_min: int = Field(default=5, ge=0, le=30)
    # Ask for a pregnancy test for patients female at birth up to this age (practice).
    pregnancy_test_max_age: int = Field(default=55, ge=40, le=65)
    # Registration warns of a likely duplicate when a chart born the same day has a name
    # at least this close (0-100, rapidfuzz token-sort ratio; practice, not a reference).
    duplicate_name_min_score: int = Field(default=85, ge=50, le=100)
    # Rows per page of the patient list (the page size a staff member starts with).
    patient_page_size: int = Field(default=25, ge=5, le=200)
    # Public consultation requests per address (limits syntax, e.g. "5/hour").
    inquiry_rate_limit: str = "5/hour"
    # Email to patients over SMTP (issue 21); no host: messages stay in the outbox
    # (/admin/outbox) as "not sent: no transport". smtp_security: starttls, ssl or none.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "KetaClinic <no-reply@localhost>"
    smtp_timeout_s: int = Field(default=20, ge=1, le=300)
    # The server's certificate is checked against the system's authorities, or these
    # (a PEM file: a clinic's own mail relay with a private authority).
    smtp_ca_file: Path | None = None
    # SMS through Twilio's REST API; all three set, or SMS stays in the outbox.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_base_url: str = "https://api.twilio.com"
    # A message that failed this many times is given up ('failed'), with its last error.
    message_max_attempts: int = Field(default=6, ge=1, le=20)
    # Where the job runner keeps its queue on SQLite (a file beside the database when
    # unset); on PostgreSQL the queue is in the database itself.
    jobs_sqlite_path: Path | None = None
    log_json: bool = True
    log_level: str = "INFO"

    @field_validator("schedule_weights")
    @classmethod
    def _known_weights(cls, value: dict[str, int]) -> dict[str, int]:
        from dataclasses import fields

        from ketaclinic.scheduling.model import Weights

        known = {f.name for f in fields(Weights)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown weights {unknown}; known: {sorted(known)}")
        if any(weight < 0 for weight in value.values()):
            raise ValueError("weights must not be negative")
        return value

    @field_validator("vital_thresholds")
    @classmethod
    def _known_thresholds(cls, value: dict[str, int]) -> dict[str, int]:
        from ketaclinic.clinical.treatment.model import Thresholds

        unknown = sorted(set(value) - set(Thresholds.model_fields))
        if unknown:
            known = sorted(Thresholds.model_fields)
            raise ValueError(f"unknown thresholds {unknown}; known: {known}")
        return value

    @field_validator("scale_thresholds")
    @classmethod
    def _known_scale_thresholds(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        from ketaclinic.clinical.scales import UnknownInstrumentError, adjustable_flags

        for instrument_id, thresholds in value.items():
            try:
                known = adjustable_flags(instrument_id)
            except UnknownInstrumentError:
                raise ValueError(f"unknown questionnaire {instrument_id!r}") from None
            unknown = sorted(set(thresholds) - known)
            if unknown:
                raise ValueError(
                    f"{instrument_id}: unknown flags {unknown}; known: {sorted(known)}"
                )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return secret_key_in(self.data_dir)


def secret_key_in(data_dir: Path) -> str:
    """The key in ``data_dir/secret_key``, made on first use. Server processes that
    start together may all find it missing: each writes a candidate to a file of its
    own and links it into place, which only the first can do (a link never replaces a
    file, and the file appears whole); every process then reads the one that won."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, candidate = tempfile.mkstemp(dir=data_dir, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
                out.flush()
                os.fsync(out.fileno())
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process was first: its key is the key
        finally:
            os.unlink(candidate)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
