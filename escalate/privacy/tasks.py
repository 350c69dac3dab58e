"""The daily routine disposal, run by a worker; the scheduler enqueues it once a day."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from escalate.operations.models import CheckResult
from escalate.operations.services import record_check
from escalate.privacy.services import dispose_routine

CHECK = "routine_disposal"


@task()
def dispose_routine_task() -> dict[str, int]:
    report = asdict(dispose_routine())
    record_check(name=CHECK, ok=True, detail=", ".join(f"{k}={v}" for k, v in report.items()))
    return report


def enqueue_if_due() -> bool:
    """Enqueue the disposal if it has not run in the last day; returns whether it did."""
    last = CheckResult.objects.filter(name=CHECK).values_list("checked_at", flat=True).first()
    if last is not None and timezone.now() - last < timedelta(days=1):
        return False
    dispose_routine_task.enqueue()
    # Marked at once, so the scheduler's next rounds don't enqueue it again while it waits.
    record_check(name=CHECK, ok=True, detail="enqueued")
    return True
