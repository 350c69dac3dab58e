"""Writing notifications into the outbox. Sending is the worker's job (see tasks.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from escalate.directory.models import Partnership, Person
from escalate.notifications.models import Channel, Notification

if TYPE_CHECKING:
    from escalate.escalations.models import Escalation

DEFAULT_CHANNELS = (Channel.EMAIL, Channel.IN_APP)


def enqueue_notification(
    *,
    partnership: Partnership,
    escalation: Escalation | None,
    event: str,
    event_key: str,
    subject: str,
    body: str,
    recipient: Person | None = None,
    email: str = "",
    channels: Iterable[str] = DEFAULT_CHANNELS,
) -> int:
    """Put one notification per channel in the outbox, in the caller's transaction.

    A repeat of the same (event_key, recipient, channel) is ignored, so callers may be retried
    safely. Returns how many rows were new. In-app notifications need a person; a bare e-mail
    address (a business-team mailbox) only gets e-mail.
    """
    if recipient is None and not email:
        raise ValueError("a notification needs a recipient person or an e-mail address")
    recipient_key = f"person:{recipient.pk}" if recipient is not None else f"email:{email.lower()}"
    address = recipient.email if recipient is not None else email
    rows = [
        Notification(
            partnership=partnership,
            escalation=escalation,
            event=event,
            event_key=event_key,
            recipient=recipient,
            recipient_email=address,
            recipient_key=recipient_key,
            channel=channel,
            subject=subject,
            body=body,
        )
        for channel in channels
        if channel != Channel.IN_APP or recipient is not None
    ]
    keys = {(row.event_key, row.recipient_key, row.channel) for row in rows}
    existing = set(
        Notification.objects.filter(event_key=event_key, recipient_key=recipient_key).values_list(
            "event_key", "recipient_key", "channel"
        )
    )
    new_rows = [
        row for row in rows if (row.event_key, row.recipient_key, row.channel) not in existing
    ]
    # ignore_conflicts covers the race the pre-check cannot see (two writers at once).
    Notification.objects.bulk_create(new_rows, ignore_conflicts=True)
    return len(keys - existing)
