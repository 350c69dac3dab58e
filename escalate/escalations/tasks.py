"""The escalations' background task: the deadline sweep (enqueued by `manage.py run_scheduler`)."""

from __future__ import annotations

from dataclasses import asdict

from django.utils import timezone
from django_tasks import task

from escalate.escalations.deadlines import sweep_deadlines
from escalate.notifications.delivery import deliver_due_notifications


@task()
def sweep_deadlines_task() -> dict[str, int]:
    """Write reminders and overdue notices for what falls due, then send them."""
    report = sweep_deadlines(now=timezone.now())
    delivered = deliver_due_notifications()
    return {
        **asdict(report),
        **{f"delivery_{key}": value for key, value in asdict(delivered).items()},
    }
