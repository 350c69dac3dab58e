"""Audit rows of escalation services under real concurrency (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.verification import verify_chain
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import make_world
from escalate.escalations.tests.test_concurrency import race_to_escalate, run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises every writer, so nothing runs concurrently",
    ),
]


def test_of_two_actions_at_once_only_the_one_that_happened_is_audited() -> None:
    world = make_world()
    shown, results = race_to_escalate(world)
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    (row,) = AuditEvent.objects.filter(action="escalation_stage_changed")
    winner = next(value for kind, value in results if kind == "ok")
    assert row.actor_id == winner.chronology.get(kind="escalated").actor_id
    assert (row.old_values["version"], row.new_values["version"]) == (shown, shown + 1)
    chain = AuditChain.objects.get(key=f"partnership:{world.partnership.pk}")
    assert verify_chain(chain) is None


def test_actions_on_different_escalations_at_once_keep_one_unbroken_chain() -> None:
    world = make_world()
    first = services.raise_escalation(by=world.teacher, details=world.details())
    second = services.raise_escalation(by=world.teacher, details=world.details())

    def pause(escalation: Escalation) -> Callable[[], Any]:
        return lambda: services.pause_escalation(
            escalation=escalation, by=world.teacher, expected_version=1, reason="Meeting"
        )

    results = run_together(pause(first), pause(second), pause(first))
    assert sorted(kind for kind, _ in results) == ["error", "ok", "ok"], results
    rows = AuditEvent.objects.filter(action="escalation_paused")
    assert sorted(rows.values_list("object_reference", flat=True)) == sorted(
        [first.reference, second.reference]
    )
    chain = AuditChain.objects.get(key=f"partnership:{world.partnership.pk}")
    assert verify_chain(chain) is None
    assert chain.length == AuditEvent.objects.filter(chain_key=chain.key).count()
