"""Request helpers for the ledger, shared by its pages, its API and chairside."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.requests import Request

from ketaclinic.identity.principal import Principal
from ketaclinic.ledger import reports, service
from ketaclinic.ledger.schemas import WitnessIn
from ketaclinic.ledger.witnesses import Credentials, Witness, WitnessRefused, confirm


def policy_of(request: Request) -> service.LedgerPolicy:
    return service.LedgerPolicy.from_settings(request.app.state.settings)


def witnesses_for(
    request: Request,
    db: Session,
    principal: Principal,
    clinic_id: int,
    given: Sequence[WitnessIn | Credentials],
) -> list[Witness]:
    """Confirm the witnesses' own credentials. A refusal is committed before it is
    answered: the failed attempt counts against the witness's account."""
    creds = [Credentials(w.email, w.password, w.code) for w in given]
    limits = policy_of(request).limits
    assert limits is not None
    try:
        return confirm(db, principal, clinic_id, creds, limits)
    except WitnessRefused:
        db.commit()
        raise


def download(built: reports.Report, format: str) -> Response:
    """A report as a CSV or PDF attachment named by its kind and dates."""
    name = f"{built.kind}-{built.since.isoformat()}-{built.until.isoformat()}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(reports.to_csv(built), media_type="text/csv", headers=headers)
    return Response(reports.to_pdf(built), media_type="application/pdf", headers=headers)
