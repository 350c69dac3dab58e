"""The scheduler enqueues the sweep and delivery, without piling up copies."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from escalate.escalations.tasks import sweep_deadlines_task

pytestmark = pytest.mark.django_db


def test_once_enqueues_the_sweep_and_delivery() -> None:
    call_command("run_scheduler", "--once")
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "escalate.escalations.tasks.sweep_deadlines_task",
        "escalate.notifications.tasks.deliver_notifications",
        "escalate.privacy.tasks.dispose_routine_task",  # the daily disposal, never run yet
    ]


def test_waiting_tasks_are_not_enqueued_again() -> None:
    call_command("run_scheduler", "--once")
    call_command("run_scheduler", "--once")
    assert DBTaskResult.objects.count() == 3


def test_the_sweep_task_sweeps_and_delivers() -> None:
    result = sweep_deadlines_task.call()
    assert result["notifications_written"] == 0
    assert result["delivery_sent"] == 0
