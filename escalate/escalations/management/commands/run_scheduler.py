"""The scheduler: every SCHEDULER_INTERVAL_SECONDS, enqueue the deadline sweep and delivery;
once a day the routine disposal and the daily email.

Workers (`manage.py db_worker`) run what it enqueues. Run exactly one scheduler per deployment;
running two is safe (the sweep and delivery are idempotent) but wasteful.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from escalate.escalations.tasks import enqueue_digest_if_due, sweep_deadlines_task
from escalate.notifications.delivery import recover_stale_tasks
from escalate.notifications.tasks import deliver_notifications
from escalate.operations.models import ProcessKind
from escalate.operations.services import beat, forget_silent_processes, this_instance
from escalate.privacy.tasks import enqueue_if_due as enqueue_disposal_if_due

logger = logging.getLogger(__name__)


def enqueue_periodic_work() -> None:
    """Enqueue one sweep (which also delivers) and one delivery, unless already waiting."""
    recover_stale_tasks()  # rows a killed worker left RUNNING
    for task in (sweep_deadlines_task, deliver_notifications):
        if _already_waiting(task.module_path):
            continue
        task.enqueue()


def _already_waiting(task_path: str) -> bool:
    # With the database backend, do not pile up copies while the workers are stopped.
    if not str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db."):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(task_path=task_path).exists()


class Command(BaseCommand):
    help = "Enqueue the deadline sweep and notification delivery every few seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=int,
            default=None,
            help="Seconds between runs (default: SCHEDULER_INTERVAL_SECONDS).",
        )
        parser.add_argument("--once", action="store_true", help="Enqueue once and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"] or settings.SCHEDULER_INTERVAL_SECONDS
        stop = threading.Event()
        if not options["once"]:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            self.stdout.write(f"Scheduler running every {interval} seconds (Ctrl-C to stop)")
        instance = this_instance()
        while True:
            try:
                beat(kind=ProcessKind.SCHEDULER, instance=instance)
                forget_silent_processes()
                enqueue_periodic_work()
                enqueue_disposal_if_due()
                enqueue_digest_if_due()
            except Exception:  # a database blip must not stop the scheduler
                logger.exception("Scheduler could not enqueue its tasks; trying again later")
            if options["once"] or stop.wait(interval):
                break
