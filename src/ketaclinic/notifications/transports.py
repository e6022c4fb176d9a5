"""How a message leaves: email over SMTP (smtplib), SMS through Twilio's REST API
(httpx2). Each is configured by settings or absent; a message for an absent transport
stays in the outbox as "not sent: no transport"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol

import httpx2

from ketaclinic.settings import Settings


class TransportError(Exception):
    """A send failed; ``permanent`` when trying again cannot help (a refused address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str


class Transport(Protocol):
    channel: str

    def send(self, message: Outgoing) -> str:
        """Send; the provider's id for it (or '')."""
        ...


class SmtpTransport:
    channel = "email"

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.user = settings.smtp_user
        self.password = settings.smtp_password
        self.sender = settings.smtp_from
        self.timeout = settings.smtp_timeout_s

    def build(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        mail["Message-ID"] = make_msgid(domain=domain)
        mail.set_content(message.body)
        return mail

    def send(self, message: Outgoing) -> str:
        mail = self.build(message)
        try:
            if self.security == "ssl":
                context = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.user and self.password is not None:
                    client.login(self.user, self.password.get_secret_value())
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"address refused: {exc.recipients}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return str(mail["Message-ID"])


class TwilioTransport:
    channel = "sms"

    def __init__(self, settings: Settings, client: httpx2.Client | None = None) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        assert settings.twilio_from
        self.sid = settings.twilio_account_sid
        self.token = settings.twilio_auth_token.get_secret_value()
        self.sender = settings.twilio_from
        self.base = settings.twilio_base_url.rstrip("/")
        self.client = client

    def send(self, message: Outgoing) -> str:
        url = f"{self.base}/2010-04-01/Accounts/{self.sid}/Messages.json"
        data = {"To": message.to, "From": self.sender, "Body": message.body}
        try:
            if self.client is not None:
                response = self.client.post(url, data=data, auth=(self.sid, self.token))
            else:
                with httpx2.Client(timeout=20) as client:
                    response = client.post(url, data=data, auth=(self.sid, self.token))
        except httpx2.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json()
                text = f"{detail.get('code')}: {detail.get('message')}"
            except ValueError:
                text = response.text[:200]
            # 4xx other than rate limiting: the request itself is wrong (a bad number).
            permanent = response.status_code < 500 and response.status_code != 429
            raise TransportError(f"Twilio {response.status_code} {text}", permanent=permanent)
        return str(response.json().get("sid", ""))


def configured(settings: Settings) -> dict[str, Transport]:
    """The transports this deployment has, by channel."""
    found: dict[str, Transport] = {}
    if settings.smtp_host:
        found["email"] = SmtpTransport(settings)
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from:
        found["sms"] = TwilioTransport(settings)
    return found


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted form fields."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str
) -> bool:
    return hmac.compare_digest(twilio_signature(auth_token, url, params), signature)
