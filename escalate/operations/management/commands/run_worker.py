"""A background worker that says it is alive: django-tasks' `db_worker` plus a heartbeat.

Use it wherever `db_worker` was used; the options below are passed on to it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from escalate.operations.models import ProcessKind
from escalate.operations.services import beat, this_instance

logger = logging.getLogger(__name__)


def keep_beating(stop: threading.Event, instance: str, interval: float) -> None:
    while True:
        try:
            close_old_connections()
            beat(kind=ProcessKind.WORKER, instance=instance)
        except Exception:  # a database blip must not end the heartbeat for good
            logger.warning("Worker heartbeat could not be written; trying again")
        finally:
            connection.close()
        if stop.wait(interval):
            return


class Command(BaseCommand):
    help = "Run a background worker (db_worker) that records a heartbeat every few seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="default")
        parser.add_argument("--interval", type=float, default=None)
        parser.add_argument("--batch", action="store_true", help="stop when no task is left")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--no-startup-delay", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        heart = threading.Thread(
            target=keep_beating,
            args=(stop, this_instance(), settings.WORKER_HEARTBEAT_SECONDS),
            name="heartbeat",
            daemon=True,
        )
        heart.start()
        try:
            passed_on = {
                name: options[name]
                for name in ("queue_name", "interval", "batch", "max_tasks", "no_startup_delay")
                if options[name] not in (None, False)
            }
            call_command("db_worker", **passed_on)
        finally:
            stop.set()
