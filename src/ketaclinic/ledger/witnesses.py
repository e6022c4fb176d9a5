"""A witness confirms with their own credentials, at the moment they witness.

The person acting is signed in; the witness standing beside them types their own
email and password (and a second-factor code when they use one) into the same
form. A wrong password counts against the witness's account like a failed
sign-in (and may lock it), so the witness form is no side door for guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketaclinic.audit import service as audit
from ketaclinic.auth import mfa, throttle
from ketaclinic.auth import service as auth
from ketaclinic.auth.models import Membership
from ketaclinic.identity.principal import Principal
from ketaclinic.identity.roles import Permission, Role, roles_with
from ketaclinic.kit.errors import ValidationFailed
from ketaclinic.ledger import errors

WITNESS_REFUSED = "witness email, password or code is not right"


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str
    code: str = ""


@dataclass(frozen=True)
class Witness:
    """Someone who has just proved who they are and may witness in the clinic."""

    user_id: int
    name: str


class WitnessRefused(ValidationFailed):
    """Refused credentials. The handler commits before answering, so the failure
    counts against the account even though nothing else is written."""

    code = "witness_refused"


def _field(index: int, name: str) -> str:
    return f"witness_{name}" if index == 0 else f"witness{index + 1}_{name}"


def confirm(
    db: Session,
    principal: Principal,
    clinic_id: int,
    credentials: Sequence[Credentials],
    limits: throttle.Limits,
) -> list[Witness]:
    """Every witness, checked: their own password (and code), a different person
    from the one acting and from each other, with a witnessing role in the clinic."""
    confirmed: list[Witness] = []
    for index, given in enumerate(credentials):
        check = auth.check_password(db, given.email, given.password)
        user = check.user
        if not check.ok or user is None:
            throttle.record_failure(
                db,
                user=user,
                email=check.email,
                reason=check.refusal or "bad_password",
                limits=limits,
                origin=principal.origin,
                action="ledger.witness_failed",
                count_address=False,  # the nurse's tablet is not a guesser's address
            )
            raise WitnessRefused.on(_field(index, "password"), WITNESS_REFUSED)
        step = None
        if mfa.is_enabled(user):
            factor = mfa.check_second_factor(db, user, given.code)
            if not factor.ok:
                throttle.record_failure(
                    db,
                    user=user,
                    email=check.email,
                    reason="bad_code",
                    limits=limits,
                    origin=principal.origin,
                    action="ledger.witness_failed",
                    count_address=False,
                )
                raise WitnessRefused.on(_field(index, "code"), WITNESS_REFUSED)
            step = factor.step
        if user.id == principal.user_id:
            raise errors.WitnessIsActor(field=_field(index, "email"))
        if any(w.user_id == user.id for w in confirmed):
            raise errors.WitnessRepeated(field=_field(index, "email"))
        role = db.scalar(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.clinic_id == clinic_id
            )
        )
        if role is None or Role(role) not in roles_with(Permission.LEDGER_WITNESS):
            raise errors.WitnessNotAuthorised(field=_field(index, "email"))
        throttle.record_success(user)
        # On the witness's own record: their code is then never accepted twice.
        as_witness = Principal(user.id, user.email, user.name, origin=principal.origin)
        audit.record(
            db,
            as_witness,
            "ledger.witness_confirmed",
            clinic_id=clinic_id,
            resource_type="user",
            resource_id=user.id,
            detail={"for": principal.email, **({"totp_step": step} if step is not None else {})},
        )
        confirmed.append(Witness(user.id, user.name))
    return confirmed
