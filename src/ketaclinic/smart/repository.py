"""SMART's queries: clients, access tokens and used assertion ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketaclinic.clinics.models import Clinic
from ketaclinic.kit.scoping import in_clinics
from ketaclinic.smart.models import SmartAccessToken, SmartAssertionUse, SmartClient


def clients_in(db: Session, clinic_ids: list[int]) -> list[tuple[SmartClient, Clinic]]:
    """The clients of these clinics, live ones first, newest first."""
    stmt = in_clinics(
        select(SmartClient, Clinic).join(Clinic, Clinic.id == SmartClient.clinic_id),
        SmartClient.clinic_id,
        clinic_ids,
    ).order_by(SmartClient.revoked_at.is_not(None), SmartClient.id.desc())
    return [(c, k) for c, k in db.execute(stmt).all()]


def client_for_update(db: Session, client_pk: int) -> SmartClient | None:
    return db.get(SmartClient, client_pk, with_for_update=True)


def client_by_client_id(db: Session, client_id: str) -> SmartClient | None:
    return db.scalar(select(SmartClient).where(SmartClient.client_id == client_id))


def use_assertion(
    db: Session, client: SmartClient, jti: str, expires_at: datetime, now: datetime
) -> bool:
    """Store the assertion's id; False when it was used before (by any process).
    Ids whose assertion has expired are forgotten first: they can no longer pass."""
    db.execute(
        delete(SmartAssertionUse)
        .where(SmartAssertionUse.client_id == client.id, SmartAssertionUse.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    try:
        with db.begin_nested():
            db.add(
                SmartAssertionUse(
                    client_id=client.id, clinic_id=client.clinic_id, jti=jti, expires_at=expires_at
                )
            )
    except IntegrityError:
        return False
    return True


def add_access_token(db: Session, row: SmartAccessToken) -> None:
    db.add(row)
    db.flush()


def forget_expired_tokens(db: Session, client: SmartClient, now: datetime) -> None:
    db.execute(
        delete(SmartAccessToken)
        .where(SmartAccessToken.client_id == client.id, SmartAccessToken.expires_at < now)
        .execution_options(synchronize_session=False)
    )


def live_access_token(
    db: Session, token_hash: str, now: datetime
) -> tuple[SmartAccessToken, SmartClient] | None:
    """The unexpired access token with this hash and its client, if still registered."""
    row = db.execute(
        select(SmartAccessToken, SmartClient)
        .join(SmartClient, SmartClient.id == SmartAccessToken.client_id)
        .where(
            SmartAccessToken.token_hash == token_hash,
            SmartAccessToken.expires_at > now,
            SmartClient.revoked_at.is_(None),
        )
    ).first()
    return None if row is None else (row[0], row[1])


def touch_client(db: Session, client_pk: int, now: datetime) -> None:
    db.execute(
        update(SmartClient)
        .where(SmartClient.id == client_pk)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
