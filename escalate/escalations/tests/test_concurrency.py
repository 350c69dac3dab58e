"""Two people acting at once, in real concurrent transactions on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from escalate.escalations import services
from escalate.escalations.models import Escalation, StageRecord
from escalate.escalations.services import StaleEscalation
from escalate.escalations.tests.factories import make_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises every writer, so nothing runs concurrently",
    ),
]


def run_together(*jobs: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run each job in its own thread (its own database connection), released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[str, Any]] = [("", None)] * len(jobs)

    def worker(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", job())
        except Exception as error:
            results[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def race_to_escalate(world: Any) -> tuple[int, list[tuple[str, Any]]]:
    """Raise, record the Stage 1 discussion, then have the teacher and the social worker both
    escalate from the same shown version at the same moment. Returns that version and results."""
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="Social worker",
        method="Phone",
        summary="Talked",
        outcome="Disagree",
    )
    shown = Escalation.objects.get(pk=escalation.pk).version

    def escalate(by: Any) -> Callable[[], Any]:
        return lambda: services.escalate_to_next_stage(
            escalation=escalation, by=by, expected_version=shown, reason="Both of us at once"
        )

    return shown, run_together(escalate(world.teacher), escalate(world.social_worker))


def test_two_people_escalating_at_once_cannot_both_succeed() -> None:
    world = make_world()
    shown, results = race_to_escalate(world)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, StaleEscalation)
    stored = Escalation.objects.get(partnership=world.partnership)
    assert stored.current_stage_key == "stage_2"
    assert stored.version == shown + 1
    assert StageRecord.objects.filter(escalation=stored).count() == 2
    assert stored.chronology.filter(kind="escalated").count() == 1


def test_two_escalations_raised_at_once_get_different_references() -> None:
    world = make_world(notifications=[])

    def raise_one(by: Any) -> Callable[[], Any]:
        return lambda: services.raise_escalation(by=by, details=world.details()).reference

    results = run_together(raise_one(world.teacher), raise_one(world.dsl), raise_one(world.head))
    assert all(kind == "ok" for kind, _ in results), results
    references = sorted(value for _, value in results)
    assert len(set(references)) == 3
    assert [ref[-4:] for ref in references] == ["0001", "0002", "0003"]
