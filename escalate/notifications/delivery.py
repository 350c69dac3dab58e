"""The worker's job: send what is due in the outbox, exactly once, and record what happened.

Each row is sent inside its own short transaction that holds a lock on it
(SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's IMMEDIATE transactions serialise
writers). The row is re-read inside that transaction and only sent while still pending and due,
so two workers never send the same row: the second either skips the locked row or finds it sent.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from escalate.notifications.channels import DeliveryFailed, OutgoingEmail, sender_for
from escalate.notifications.models import Channel, Notification, Status
from escalate.notifications.retry import RetryPolicy, retry_policy

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 2000
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_stop_requested = threading.Event()


@contextmanager
def stop_between_sends() -> Iterator[None]:
    """A SIGTERM or SIGINT during a batch lets the send in hand finish, then ends the batch.

    A supervisor's stop must not wait for a whole batch (100 sends can outlast its timeout).
    The rows not reached stay pending for the next worker. The signal is passed on to the
    handler that was there before (db_worker's, which stops after the task in hand); where that
    was the default (end the process), the process ends once the batch has stopped.
    """
    _stop_requested.clear()
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous: dict[int, Any] = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    received: list[int] = []

    def handler(number: int, frame: Any) -> None:
        _stop_requested.set()
        earlier = previous.get(number)
        if callable(earlier):
            earlier(number, frame)
        elif earlier == signal.SIG_DFL:
            received.append(number)

    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, handler)
    try:
        yield
    finally:
        for number, earlier in previous.items():
            signal.signal(number, earlier)
        for pending in received[:1]:
            os.kill(os.getpid(), pending)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0  # taken by another worker or no longer due


def deliver_due_notifications(
    *, now: datetime | None = None, limit: int | None = None
) -> DeliveryReport:
    """Send up to `limit` pending notifications that are due at `now` (default: the clock).

    A failure is recorded on the row (attempts, last_error) and retried later with exponential
    backoff; after NOTIFICATIONS_MAX_ATTEMPTS, or at once for a failure that cannot get better,
    the row is marked failed. Returns what happened, for the task's result and the logs.
    """
    now = now or timezone.now()
    limit = limit or settings.NOTIFICATIONS_BATCH_SIZE
    policy = retry_policy()
    due_ids = list(
        Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    report = DeliveryReport()
    with stop_between_sends():
        for pk in due_ids:
            if _stop_requested.is_set():
                logger.info("Stopping: %s notifications left for the next worker", report)
                break
            outcome = _deliver_one(pk, now=now, policy=policy)
            setattr(report, outcome, getattr(report, outcome) + 1)
    if due_ids:
        logger.info("Notifications delivered: %s", report)
    return report


def _deliver_one(pk: int, *, now: datetime, policy: RetryPolicy) -> str:
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if row is None:
            return "skipped"
        row.attempts += 1
        try:
            provider_id = sender_for(row.channel).send(outgoing_email(row))
        except DeliveryFailed as error:
            outcome = _record_failure(row, str(error), permanent=error.permanent, policy=policy)
        except Exception as error:  # a bug must not stop the batch; the row is retried
            logger.exception("Unexpected error sending notification %s", row.pk)
            outcome = _record_failure(row, repr(error), permanent=False, policy=policy)
        else:
            row.status = Status.SENT
            row.sent_at = timezone.now()
            row.last_error = ""
            row.provider_id = provider_id[:64]
            outcome = "sent"
        row.save(
            update_fields=[
                "status",
                "attempts",
                "sent_at",
                "last_error",
                "next_attempt_at",
                "provider_id",
            ]
        )
        return outcome


def _record_failure(row: Notification, error: str, *, permanent: bool, policy: RetryPolicy) -> str:
    row.last_error = error[:MAX_ERROR_LENGTH]
    if permanent or policy.gives_up(row.attempts):
        row.status = Status.FAILED
        logger.warning("Notification %s failed for good: %s", row.pk, error)
        return "failed"
    row.next_attempt_at = policy.next_attempt_at(timezone.now(), row.attempts)
    return "retrying"


def outgoing_email(row: Notification) -> OutgoingEmail:
    """The email for an outbox row: no child identifiers beyond the reference, and a link.

    Subjects and bodies are written by the services that raise events; as a second line of
    defence, if either mentions the escalation's child or adult (name, date of birth, case
    references) the email says only that there is an update, and where to read it.
    """
    subject, body, link = row.subject, row.body, ""
    template_key, personalisation = row.template_key, dict(row.personalisation or {})
    escalation = row.escalation
    if escalation is not None:
        link = f"{settings.SITE_URL}{escalation.get_absolute_url()}"
        words = "\n".join([subject, body, *map(str, personalisation.values())])
        if mentions_subject_identifiers(words, escalation):
            subject = f"Escalation {escalation.reference}: there is an update"
            body = f"There is an update on escalation {escalation.reference}."
            template_key, personalisation = "", {}
        if link not in body:
            body = f"{body}\n\nSign in to Escalate to read it: {link}"
    elif row.channel != Channel.IN_APP and not row.template_key:
        # A message with its own template (an account email, the daily email) has its links.
        body = f"{body}\n\nSign in to Escalate: {settings.SITE_URL}/"
    return OutgoingEmail(
        to=row.recipient_email,
        subject=subject,
        body=body,
        reference=f"notification:{row.pk}",
        template_key=template_key,
        personalisation=personalisation,
    )


def mentions_subject_identifiers(text: str, escalation: object) -> bool:
    """Whether `text` names the escalation's child or adult: their whole name, a word of it as
    a word ("Ann", not the "ann" in "planning", which would blank a notice for nothing), their
    date of birth as written in three ways, or a case reference."""
    lowered = text.lower()
    phrases: list[str] = []
    words: list[str] = []
    name = str(getattr(escalation, "subject_name", "") or "").strip()
    if name:
        phrases.append(name)
        words += [part for part in name.split() if len(part) >= 3]
    born = getattr(escalation, "subject_date_of_birth", None)
    if born is not None:
        phrases += [born.isoformat(), born.strftime("%d/%m/%Y"), f"{born:%-d %B %Y}"]
    references = str(getattr(escalation, "case_references", "") or "")
    phrases += [part for part in references.replace(";", ",").split(",") if part.strip()]
    if any(phrase.strip().lower() in lowered for phrase in phrases):
        return True
    return any(
        re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", lowered) is not None for word in words
    )


class WorkerLost(Exception):
    """Recorded on a task row whose worker stopped (killed, machine lost) while running it."""


def recover_stale_tasks(*, now: datetime | None = None) -> int:
    """Mark RUNNING task rows that started over NOTIFICATIONS_STALE_TASK_SECONDS ago as failed.

    A worker killed mid-task (SIGKILL, out of memory, a lost machine) leaves its row RUNNING for
    ever. Nothing is lost by failing it: the outbox rows it held are still pending (their
    transaction died with the worker) and the scheduler enqueues delivery again. Returns how
    many rows were recovered. Only for the database task backend.
    """
    if not str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db."):
        return 0
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFICATIONS_STALE_TASK_SECONDS)
    recovered = 0
    for row in DBTaskResult.objects.running().filter(started_at__lt=cutoff):
        row.set_failed(
            WorkerLost(f"The worker stopped while running this task (started {row.started_at})")
        )
        logger.warning(
            "Recovered task %s (%s) left running by a lost worker", row.pk, row.task_path
        )
        recovered += 1
    return recovered
