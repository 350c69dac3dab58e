"""The escalations' background tasks, enqueued by `manage.py run_scheduler`: the deadline sweep
and, once a day, the daily email (digest.py)."""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from escalate.escalations.deadlines import sweep_deadlines
from escalate.escalations.digest import send_daily_digests
from escalate.notifications.delivery import deliver_due_notifications
from escalate.operations.models import CheckResult
from escalate.operations.services import record_check

DIGEST_ENQUEUED = "daily_digest_enqueued"


@task()
def sweep_deadlines_task() -> dict[str, int]:
    """Write reminders and overdue notices for what falls due, then send them."""
    report = sweep_deadlines(now=timezone.now())
    delivered = deliver_due_notifications()
    return {
        **asdict(report),
        **{f"delivery_{key}": value for key, value in asdict(delivered).items()},
    }


@task()
def send_daily_digests_task() -> dict[str, int]:
    """Write today's daily emails, then send them."""
    report = send_daily_digests(now=timezone.now())
    delivered = deliver_due_notifications()
    return {
        **asdict(report),
        **{f"delivery_{key}": value for key, value in asdict(delivered).items()},
    }


def enqueue_digest_if_due() -> bool:
    """Enqueue the daily email once a day, from NOTIFICATIONS_DIGEST_HOUR (UK time).

    Returns whether it did. Enqueuing twice is harmless (one email per person per day).
    """
    now = timezone.localtime()
    if now.hour < settings.NOTIFICATIONS_DIGEST_HOUR:
        return False
    last = (
        CheckResult.objects.filter(name=DIGEST_ENQUEUED)
        .values_list("checked_at", flat=True)
        .first()
    )
    if last is not None and timezone.localdate(last) == now.date():
        return False
    send_daily_digests_task.enqueue()
    record_check(name=DIGEST_ENQUEUED, ok=True, detail="enqueued")
    return True
