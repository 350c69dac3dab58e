"""How a notification leaves Escalate: email (Django's backend or GOV.UK Notify) or in-app.

Senders know nothing about the outbox: they take an `OutgoingEmail` and either return (it was
handed over) or raise `DeliveryFailed`, saying whether trying again could help. The worker
(delivery.py) decides about retries. Which email provider is used is a setting
(NOTIFICATIONS_EMAIL_PROVIDER: "django" or "notify"), so rows already in the outbox are sent by
whichever provider is configured when they are delivered.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    body: str
    reference: str  # ours, e.g. "notification:42"; Notify stores it, SMTP gets it as a header
    # The message's own Notify template (settings.NOTIFY_TEMPLATE_IDS) and its placeholders'
    # words; the plain email's body is that template filled with them (messages.py).
    template_key: str = ""
    personalisation: Mapping[str, str] = field(default_factory=dict)


class DeliveryFailed(Exception):
    """The message was not handed over. `permanent` means retrying cannot help (bad address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    def send(self, message: OutgoingEmail) -> str:
        """Hand the message over; return the provider's id for it (may be empty)."""
        ...


class DjangoEmailSender:
    """Email through Django's configured backend (SMTP in production, console in `make run`)."""

    def send(self, message: OutgoingEmail) -> str:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={
                "X-Escalate-Reference": message.reference,
                # The same for every try of one outbox row: a message sent again because the
                # worker died before recording it is a copy mail systems can recognise.
                "Message-ID": message_id(message.reference),
            },
            connection=get_connection(fail_silently=False),
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            # 4xx ("451 Try again later", greylisting, a full mailbox) is temporary; only when
            # the server refuses every address with 5xx will trying again not help.
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryFailed(
                f"The mail server refused the address: {error.recipients}",
                permanent=bool(codes) and all(_permanent_smtp_code(code) for code in codes),
            ) from error
        except smtplib.SMTPDataError as error:
            raise DeliveryFailed(
                f"The mail server refused the message: {error.smtp_code} {error.smtp_error!r}",
                permanent=_permanent_smtp_code(error.smtp_code),
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            # Connection refused, timeouts, 4xx replies: the server may be back later.
            raise DeliveryFailed(
                f"The mail server could not be reached or refused: {error}"
            ) from error
        return ""


def message_id(reference: str) -> str:
    """A Message-ID fixed by our reference, at the domain mail is sent from."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "escalate.invalid"
    local = "".join(c if c.isascii() and (c.isalnum() or c in ".-") else "-" for c in reference)
    return f"<escalate-{local}@{domain}>"


def _permanent_smtp_code(code: int) -> bool:
    """5xx: the server will not take it (RFC 5321 4.2.1); 4xx and anything else may pass later."""
    return 500 <= code < 600


class NotifySender:
    """Email through GOV.UK Notify: the message's own template when NOTIFY_TEMPLATE_IDS names one
    for its key (sent with its personalisation), else one generic template whose placeholders are
    ((subject)) and ((body))."""

    def __init__(
        self,
        *,
        api_key: str,
        template_id: str,
        base_url: str,
        timeout: int = 10,
        template_ids: Mapping[str, str] | None = None,
    ) -> None:
        if not api_key or not template_id:
            raise ImproperlyConfigured(
                "GOV.UK Notify needs NOTIFY_API_KEY and NOTIFY_EMAIL_TEMPLATE_ID"
            )
        self.api_key = api_key
        self.template_id = template_id
        self.base_url = base_url
        self.timeout = timeout
        self.template_ids = dict(template_ids or {})

    def template_for(self, message: OutgoingEmail) -> tuple[str, dict[str, str]]:
        """The template id and personalisation to send `message` with."""
        own = self.template_ids.get(message.template_key) if message.personalisation else None
        if own:
            return own, dict(message.personalisation)
        return self.template_id, {"subject": message.subject, "body": message.body}

    def send(self, message: OutgoingEmail) -> str:
        client = NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=self.timeout)
        template_id, personalisation = self.template_for(message)
        try:
            response = client.send_email_notification(
                email_address=message.to,
                template_id=template_id,
                personalisation=personalisation,
                reference=message.reference,
            )
        except APIError as error:
            status = error.status_code
            # 4xx (bad address, bad template, bad key) will not get better; 429 and 5xx may.
            permanent = 400 <= status < 500 and status != 429
            raise DeliveryFailed(
                f"GOV.UK Notify answered {status}: {error.message}", permanent=permanent
            ) from error
        return str((response or {}).get("id", ""))


class InAppSender:
    """In-app notifications are delivered by being in the outbox; the page reads them there."""

    def send(self, message: OutgoingEmail) -> str:
        return ""


def email_sender() -> Sender:
    provider = settings.NOTIFICATIONS_EMAIL_PROVIDER
    if provider == "notify":
        return notify_sender()
    if provider == "django":
        return DjangoEmailSender()
    raise ImproperlyConfigured(
        f"NOTIFICATIONS_EMAIL_PROVIDER must be django or notify, not {provider!r}"
    )


def notify_sender() -> NotifySender:
    return NotifySender(
        api_key=settings.NOTIFY_API_KEY,
        template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
        base_url=settings.NOTIFY_BASE_URL,
        template_ids=settings.NOTIFY_TEMPLATE_IDS,
    )


def sender_for(channel: str) -> Sender:
    """The sender for an outbox row's channel."""
    # The values of models.Channel (kept as strings so senders do not depend on the models).
    if channel == "email":
        return email_sender()
    if channel == "notify":
        return notify_sender()
    if channel == "in_app":
        return InAppSender()
    raise ValueError(f"unknown notification channel {channel!r}")
