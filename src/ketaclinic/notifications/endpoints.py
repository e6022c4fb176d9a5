"""JSON API: the administrator's outbox (one list shape) and Twilio's inbound-SMS
webhook (public; Twilio's signature is the credential)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from ketaclinic.auth.deps import CurrentPrincipal
from ketaclinic.kit.db import set_visible_clinics
from ketaclinic.kit.pagination import Page, Paging
from ketaclinic.kit.web import DbSession
from ketaclinic.notifications import contacts, errors, outbox
from ketaclinic.notifications.deps import request_url, settings_of
from ketaclinic.notifications.models import STATUSES
from ketaclinic.notifications.transports import twilio_signature_valid

router = APIRouter(prefix="/api/v1", tags=["notifications"])
webhooks = APIRouter(tags=["notifications"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Wrong role (the outbox is the administrator's)"},
    422: {"description": "A field is invalid; `error.fields` names it"},
}


StatusName = Literal[
    "queued", "sending", "sent", "failed", "no_transport", "no_contact", "cancelled"
]
assert set(get_args(StatusName)) == set(STATUSES)


class OutboxMessageOut(BaseModel):
    id: int
    patient_id: int | None  # None: a message to staff
    patient_name: str  # a staff message: "to staff: NAME"
    template: str
    template_title: str
    status: str
    status_words: str
    channel: str | None
    recipient: str | None
    subject: str | None
    link: str  # a token in it is cut short: never usable
    not_before: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    created_at: datetime


@router.get("/admin/outbox", response_model=Page[OutboxMessageOut], responses=ERRORS)
def outbox_list(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    paging: Paging,
    status: Annotated[StatusName | None, Query(description="Only messages in this status")] = None,
) -> Any:
    lines, total = outbox.outbox(
        db,
        principal,
        settings_of(request),
        status=status,
        offset=paging.offset,
        limit=paging.page_size,
    )
    items = [OutboxMessageOut.model_validate(line, from_attributes=True) for line in lines]
    return paging.envelope(items, total)


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@webhooks.post("/notifications/sms/inbound", include_in_schema=False)
async def sms_inbound(request: Request, db: DbSession) -> Response:
    """Twilio posts each text a patient sends. STOP ends SMS to that number; START
    resumes it. Refused unless Twilio's signature checks out."""
    settings = settings_of(request)
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    token = settings.twilio_auth_token
    signature = request.headers.get("X-Twilio-Signature", "")
    if token is None or not twilio_signature_valid(
        token.get_secret_value(), request_url(request, settings), params, signature
    ):
        # Answered here, not raised: a forged or misaddressed webhook call is not a
        # person refused access to a record (nothing to put on a clinic's trail).
        refused = errors.TwilioSignatureInvalid()
        return JSONResponse(refused.to_body(), status_code=refused.status_code)
    phone, body = params.get("From", ""), params.get("Body", "")

    def apply() -> None:
        set_visible_clinics(db, "*")  # public, system work: whose number this is
        contacts.inbound_sms(db, phone, body)

    await run_in_threadpool(apply)
    return Response(EMPTY_TWIML, media_type="application/xml")
