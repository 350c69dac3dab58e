"""Background tasks (django-tasks). The worker is `manage.py db_worker`; see docs/operations.md."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django_tasks import task

from escalate.notifications.delivery import deliver_due_notifications

logger = logging.getLogger(__name__)


@task()
def deliver_notifications() -> dict[str, int]:
    """Send what is due in the outbox."""
    return asdict(deliver_due_notifications())


def _enqueue_delivery() -> None:
    try:
        deliver_notifications.enqueue()
    except Exception:  # the scheduler picks up anything left pending, so nothing is lost
        logger.exception("Could not enqueue notification delivery; the scheduler will retry")


def schedule_delivery() -> None:
    """Enqueue delivery once the current transaction commits (once per transaction).

    Nothing is sent if the transaction rolls back: the callback is dropped with it.
    """
    connection = transaction.get_connection()
    pending: list[Any] = list(connection.run_on_commit) if connection.in_atomic_block else []
    if any(entry[1] is _enqueue_delivery for entry in pending):
        return
    transaction.on_commit(_enqueue_delivery)
