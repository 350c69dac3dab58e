"""The scheduler enqueues the sweep and delivery, without piling up copies."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from escalate.escalations.tasks import sweep_deadlines_task

pytestmark = pytest.mark.django_db


def test_once_enqueues_the_sweep_and_delivery(settings: Settings) -> None:
    settings.NOTIFICATIONS_DIGEST_HOUR = 0  # the daily email is due from midnight
    call_command("run_scheduler", "--once")
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "escalate.escalations.tasks.send_daily_digests_task",  # the daily email, not yet today
        "escalate.escalations.tasks.sweep_deadlines_task",
        "escalate.notifications.tasks.deliver_notifications",
        "escalate.privacy.tasks.dispose_routine_task",  # the daily disposal, never run yet
    ]


def test_waiting_tasks_are_not_enqueued_again(settings: Settings) -> None:
    settings.NOTIFICATIONS_DIGEST_HOUR = 0
    call_command("run_scheduler", "--once")
    call_command("run_scheduler", "--once")
    assert DBTaskResult.objects.count() == 4


def test_the_sweep_task_sweeps_and_delivers() -> None:
    result = sweep_deadlines_task.call()
    assert result["notifications_written"] == 0
    assert result["delivery_sent"] == 0


def test_a_task_left_running_by_a_killed_worker_is_recovered() -> None:
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks.base import TaskResultStatus

    from escalate.notifications.tasks import deliver_notifications

    # As a worker killed with SIGKILL leaves it: RUNNING, started long ago, never finished.
    lost = DBTaskResult.objects.get(pk=deliver_notifications.enqueue().id)
    lost.status = TaskResultStatus.RUNNING
    lost.started_at = timezone.now() - timedelta(hours=2)
    lost.save()
    busy = DBTaskResult.objects.get(pk=deliver_notifications.enqueue().id)
    busy.status = TaskResultStatus.RUNNING
    busy.started_at = timezone.now() - timedelta(minutes=1)  # a live worker, still at it
    busy.save()

    call_command("run_scheduler", "--once")
    lost.refresh_from_db()
    busy.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path.endswith("WorkerLost")
    assert busy.status == TaskResultStatus.RUNNING
    # Delivery is waiting to run again, so nothing the lost worker held stays unsent.
    assert DBTaskResult.objects.ready().filter(task_path=lost.task_path).exists()
