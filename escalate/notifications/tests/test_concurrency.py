"""Two sweeps or two workers at the same moment, on PostgreSQL with real separate connections."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections

from escalate.escalations import deadlines
from escalate.escalations.tests.test_deadlines import at, open_stage
from escalate.notifications.delivery import deliver_due_notifications
from escalate.notifications.models import Channel, Notification, Status
from escalate.notifications.tests.helpers import escalation_raised_with_notice
from escalate.notifications.tests.smtp_server import LocalSMTPServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent PostgreSQL transactions (set DATABASE_URL=postgres://...)")


def run_together(work: Callable[[], Any], count: int = 2) -> list[Any]:
    """Run `work` in `count` threads, each with its own database connection; return results."""
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = work()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_sweeps_at_the_same_moment_write_and_send_nothing_twice(
    monkeypatch: pytest.MonkeyPatch, smtp_server: LocalSMTPServer
) -> None:
    stages = [open_stage() for _ in range(3)]
    both_checked = threading.Barrier(2, timeout=20)
    original = deadlines.due_notices

    def due_after_both_have_looked(now: Any) -> Any:
        # Both sweeps have seen that nothing was sent yet: the worst moment for a race.
        notices = original(now)
        both_checked.wait()
        return notices

    monkeypatch.setattr(deadlines, "due_notices", due_after_both_have_looked)
    now = at(date(2026, 12, 3))

    reports = run_together(lambda: deadlines.sweep_deadlines(now=now))

    # Each notice was sent by exactly one of them (the other found it sent, under the row lock).
    assert sum(report.stage_overdue for report in reports) == 3
    # Per stage: overdue to raiser and respondent, prompt to raiser; email and in-app each.
    assert Notification.objects.count() == 3 * 3 * 2
    for _escalation, record in stages:
        assert (
            Notification.objects.filter(
                event_key=f"overdue:stage:{record.pk}", channel=Channel.EMAIL
            ).count()
            == 2
        )
    run_together(deliver_due_notifications)
    references = [message["X-Escalate-Reference"] for message in smtp_server.messages]
    assert len(references) == 3 * 3
    assert len(set(references)) == len(references)


def test_two_workers_send_each_notification_once(smtp_server: LocalSMTPServer) -> None:
    smtp_server.delay = 0.05  # so the two workers overlap
    for _ in range(12):
        escalation_raised_with_notice()

    reports = run_together(deliver_due_notifications)

    assert sum(report.sent for report in reports) == 24  # 12 email + 12 in-app
    references = [message["X-Escalate-Reference"] for message in smtp_server.messages]
    assert len(references) == 12
    assert len(set(references)) == 12
    assert not Notification.objects.exclude(status=Status.SENT).exists()
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
