"""The daily routine disposal, run by a worker; the scheduler enqueues it once a day.

Two check rows: `routine_disposal` is the outcome of the last run itself (ok with its counts, or
failed with the error's kind), written only by the task; `routine_disposal_enqueued` is when the
scheduler last enqueued it, so its next rounds do not enqueue it again while it waits. Enqueuing
says nothing about whether the run worked: a failing disposal shows as failed, not healthy.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from escalate.operations.models import CheckResult
from escalate.operations.services import record_check
from escalate.privacy.services import dispose_routine

CHECK = "routine_disposal"
ENQUEUED = "routine_disposal_enqueued"


@task()
def dispose_routine_task() -> dict[str, int]:
    try:
        report = asdict(dispose_routine())
    except Exception as error:
        # Its own write: the disposal's transaction has rolled back. The kind only, never the
        # message (it may quote a row's content).
        record_check(name=CHECK, ok=False, detail=f"failed: {type(error).__name__}")
        raise
    record_check(name=CHECK, ok=True, detail=", ".join(f"{k}={v}" for k, v in report.items()))
    return report


def enqueue_if_due() -> bool:
    """Enqueue the disposal if it was not enqueued in the last day; returns whether it did."""
    last = CheckResult.objects.filter(name=ENQUEUED).values_list("checked_at", flat=True).first()
    if last is not None and timezone.now() - last < timedelta(days=1):
        return False
    dispose_routine_task.enqueue()
    record_check(name=ENQUEUED, ok=True, detail="enqueued")
    return True
