"""Writing notifications into the outbox. Sending is the worker's job (delivery.py, tasks.py)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from escalate.audit.services import record_audit
from escalate.bulk import copy_rows
from escalate.directory.models import Partnership, Person
from escalate.directory.permissions import may_choose_daily_digest
from escalate.notifications.models import CalendarToken, Channel, Notification, Status
from escalate.notifications.selectors import in_app_for
from escalate.notifications.tasks import schedule_delivery

DEFAULT_CHANNELS = (Channel.EMAIL, Channel.IN_APP)


@dataclass(frozen=True)
class NotificationSpec:
    """One notification to one recipient (or mailbox), on each of its channels."""

    partnership: Partnership
    escalation: Model | None  # what it is about (the outbox knows it only as a row)
    event: str
    event_key: str
    subject: str
    body: str
    recipient: Person | None = None
    email: str = ""
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    # The GOV.UK Notify template of the message and its ((placeholders)) (messages.py).
    template_key: str = ""
    personalisation: Mapping[str, str] = field(default_factory=dict)
    # Urgent (immediate harm): never held for the daily email, always sent at once.
    urgent: bool = False


# The channels a daily email stands for; in-app notices always appear at once.
DIGESTIBLE_CHANNELS = frozenset({Channel.EMAIL, Channel.NOTIFY})


def held_for_digest(spec: NotificationSpec, channel: str) -> bool:
    """Whether this email waits for the recipient's daily email instead of going now: a
    routine notice about an escalation, to a person who chose the daily email."""
    return (
        channel in DIGESTIBLE_CHANNELS
        and not spec.urgent
        and spec.escalation is not None
        and spec.recipient is not None
        and spec.recipient.daily_digest
    )


def enqueue_notification(
    *,
    partnership: Partnership,
    escalation: Model | None,
    event: str,
    event_key: str,
    subject: str,
    body: str,
    recipient: Person | None = None,
    email: str = "",
    channels: Iterable[str] = DEFAULT_CHANNELS,
    template_key: str = "",
    personalisation: Mapping[str, str] | None = None,
    urgent: bool = False,
) -> int:
    """Put one notification per channel in the outbox, in the caller's transaction.

    A repeat of the same (event_key, recipient, channel) is ignored, so callers may be retried
    safely. Returns how many rows were new. In-app notifications need a person; a bare email
    address (a business-team mailbox) only gets email.
    """
    return enqueue_notifications(
        [
            NotificationSpec(
                partnership=partnership,
                escalation=escalation,
                event=event,
                event_key=event_key,
                subject=subject,
                body=body,
                recipient=recipient,
                email=email,
                channels=tuple(channels),
                template_key=template_key,
                personalisation=personalisation or {},
                urgent=urgent,
            )
        ]
    )


def enqueue_notifications(specs: Sequence[NotificationSpec]) -> int:
    """Put notifications in the outbox with two queries, in the caller's transaction: the one
    outbox writer.

    A repeat of an (event_key, recipient, channel) already in the outbox is ignored, also when
    another writer adds it at the same moment (the unique constraint decides), so callers may be
    retried safely. Returns how many rows were new when checked. In-app notifications need a
    person; a bare email address (a business-team mailbox) only gets email. A routine email to
    a person who chose the daily email is held for it (`held_for_digest`); urgent ones never are.
    """
    rows: dict[tuple[str, str, str], Notification] = {}
    for spec in specs:
        if spec.recipient is None and not spec.email:
            raise ValueError("a notification needs a recipient person or an email address")
        recipient_key = (
            f"person:{spec.recipient.pk}"
            if spec.recipient is not None
            else f"email:{spec.email.lower()}"
        )
        address = spec.recipient.email if spec.recipient is not None else spec.email
        for channel in spec.channels:
            if channel == Channel.IN_APP and spec.recipient is None:
                continue
            rows.setdefault(
                (spec.event_key, recipient_key, channel),
                Notification(
                    partnership=spec.partnership,
                    escalation_id=None if spec.escalation is None else spec.escalation.pk,
                    event=spec.event,
                    event_key=spec.event_key,
                    recipient=spec.recipient,
                    recipient_email=address,
                    recipient_key=recipient_key,
                    channel=channel,
                    subject=spec.subject,
                    body=spec.body,
                    template_key=spec.template_key,
                    personalisation=dict(spec.personalisation),
                    status=Status.HELD if held_for_digest(spec, channel) else Status.PENDING,
                ),
            )
    if not rows:
        return 0
    existing = set(
        Notification.objects.filter(event_key__in={key[0] for key in rows}).values_list(
            "event_key", "recipient_key", "channel"
        )
    )
    new_rows = [row for key, row in rows.items() if key not in existing]
    copy_rows(Notification, new_rows, ignore_conflicts=True)  # by COPY on PostgreSQL
    if new_rows:
        schedule_delivery()
    return len(new_rows)


@transaction.atomic
def mark_notifications_read(
    *, person: Person, ids: Iterable[int] | None = None, escalation_id: int | None = None
) -> int:
    """Mark the person's in-app notifications read: those in `ids`, those about one escalation
    (`escalation_id`, when they open it from the list), or all unread ones."""
    rows = in_app_for(person).filter(read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    if escalation_id is not None:
        rows = rows.filter(escalation_id=escalation_id)
    return rows.update(read_at=timezone.now())


def mark_read_on_opening(*, person: Person, escalation_id: int) -> int:
    """The person opened the escalation's page: their unread notices about it are read.

    One UPDATE and no transaction of its own, so it costs the page one query. A side effect of
    the page's GET like its view-audit row (docs/decisions/0008): a notice is read once the
    escalation it points to has been seen, whichever way the person came.
    """
    return (
        in_app_for(person)
        .filter(escalation_id=escalation_id, read_at__isnull=True)
        .update(read_at=timezone.now())
    )


class SettingRefused(ValueError):
    """A notification setting this person may not choose."""


@transaction.atomic
def choose_daily_digest(*, person: Person, daily: bool) -> bool:
    """Set whether `person`'s routine emails about escalations come as one email a day.

    Only managers may choose it (`may_choose_daily_digest`); anyone may turn it off. From now
    on: emails already held still go in the next daily email. Audited when it changes.
    Returns whether it changed.
    """
    if daily and not may_choose_daily_digest(person):
        raise SettingRefused("Only managers can choose one email a day.")
    if person.daily_digest == daily:
        return False
    Person.objects.filter(pk=person.pk).update(daily_digest=daily)
    person.daily_digest = daily
    record_audit(
        actor=person,
        action="daily_digest_chosen",
        partnership=person.partnership,
        obj=person,
        changes={"daily_digest": (not daily, daily)},
    )
    return True


@transaction.atomic
def create_calendar_token(*, person: Person) -> CalendarToken:
    """A new private calendar address for `person`; any earlier one is revoked. Audited.

    Only the token's hash is stored; the token itself is on the returned row's `secret`, for
    the page to show once.
    """
    revoked = _revoke_calendar_tokens(person)
    secret = secrets.token_urlsafe(32)
    token = CalendarToken.objects.create(person=person, token_hash=CalendarToken.hash(secret))
    token.secret = secret
    record_audit(
        actor=person,
        action="calendar_token_created",
        partnership=person.partnership,
        obj=token,  # the row's id; the secret itself is never recorded
        changes={"active_tokens": (revoked, 1)},
    )
    return token


@transaction.atomic
def revoke_calendar_tokens(*, person: Person) -> int:
    """Stop every calendar address of `person` working. Returns how many were active."""
    revoked = _revoke_calendar_tokens(person)
    if revoked:
        record_audit(
            actor=person,
            action="calendar_tokens_revoked",
            partnership=person.partnership,
            obj=person,
            changes={"active_tokens": (revoked, 0)},
        )
    return revoked


def _revoke_calendar_tokens(person: Person) -> int:
    return CalendarToken.objects.filter(person=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def send_again(*, ids: Iterable[int], by: Person | None = None) -> int:
    """Put failed notifications back in the queue with a fresh set of attempts (audited)."""
    rows = Notification.objects.select_for_update().filter(pk__in=list(ids), status=Status.FAILED)
    by_partnership: dict[int, list[int]] = {}
    for pk, partnership_id in rows.values_list("pk", "partnership_id"):
        by_partnership.setdefault(partnership_id, []).append(pk)
    count = Notification.objects.filter(
        pk__in=[pk for pks in by_partnership.values() for pk in pks]
    ).update(
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        # A late receipt for the message that failed must not touch the one sent again.
        provider_id="",
        receipt="",
        receipt_at=None,
    )
    for partnership in Partnership.objects.filter(pk__in=by_partnership):
        sent = sorted(by_partnership[partnership.pk])
        record_audit(
            actor=by,
            action="notifications_sent_again",
            partnership=partnership,
            object_type=Notification._meta.label,
            object_id=",".join(map(str, sent))[:64],
            changes={"status": (Status.FAILED.value, Status.PENDING.value), "ids": (None, sent)},
        )
    if count:
        schedule_delivery()
    return count
