"""The deadline sweep's fast writing (COPY on PostgreSQL, snapshots of what telling changes)
writes the same rows as the plain path (`bulk_create`, full snapshots)."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext

from escalate import bulk
from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.verification import verify_chain
from escalate.escalations import auditing
from escalate.escalations.deadlines import sweep_deadlines
from escalate.escalations.models import ChronologyEntry, Participant
from escalate.escalations.services import transition
from escalate.escalations.tests.factories import ActionFactory, make_world
from escalate.escalations.tests.test_deadlines_writing import IRO_TOLD, at, overdue
from escalate.notifications.models import Notification
from escalate.web.testing import rolled_back

pytestmark = pytest.mark.django_db


def _marks() -> dict[str, int]:
    return {
        name: model.objects.aggregate(top=Max("pk"))["top"] or 0
        for name, model in (
            ("outbox", Notification),
            ("entries", ChronologyEntry),
            ("audit", AuditEvent),
            ("participants", Participant),
        )
    }


def _written(marks: dict[str, int]) -> dict[str, Any]:
    """What the sweep wrote above `marks`, every column but ids, times and hashes (entries'
    ids as their ranks), as `bench/sweep_profile.py` digests it."""
    outbox = sorted(
        Notification.objects.filter(pk__gt=marks["outbox"])
        .values_list(
            "partnership_id",
            "escalation_id",
            "event",
            "event_key",
            "recipient_id",
            "recipient_key",
            "recipient_email",
            "channel",
            "subject",
            "body",
            "template_key",
            "personalisation",
            "status",
            "attempts",
            "last_error",
            "sent_at",
            "read_at",
            "provider_id",
            "receipt",
            "receipt_at",
            "digest_id",
        )
        .order_by(),
        key=repr,
    )
    entries = list(
        ChronologyEntry.objects.filter(pk__gt=marks["entries"])
        .order_by("pk")
        .values_list(
            "pk", "escalation_id", "kind", "actor_id", "stage_key", "text", "data", "corrects_id"
        )
    )
    rank = {row[0]: index for index, row in enumerate(entries)}
    audit = []
    for row in (
        AuditEvent.objects.filter(pk__gt=marks["audit"])
        .order_by("pk")
        .values_list(
            "chain_key",
            "sequence",
            "partnership_id",
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "object_reference",
            "ip_address",
            "user_agent",
            "old_values",
            "new_values",
            "reason",
            "key_id",
        )
    ):
        new_values = dict(row[12])
        if "chronology" in new_values:
            new_values["chronology"] = [
                {**added, "entry": rank.get(added["entry"])} for added in new_values["chronology"]
            ]
        audit.append((*row[:12], new_values, *row[13:]))
    participants = sorted(
        Participant.objects.filter(pk__gt=marks["participants"]).values_list(
            "escalation_id", "person_id", "part", "stage_key"
        )
    )
    return json.loads(
        json.dumps(
            {
                "outbox": outbox,
                "entries": [row[1:] for row in entries],
                "audit": audit,
                "participants": participants,
            },
            default=str,
        )
    )


@pytest.mark.parametrize("seed", range(3))
def test_the_fast_writing_writes_the_rows_the_plain_writing_writes(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Generated escalations, overdue stages and actions, some already told (by an earlier
    sweep), IROs made participants: the sweep run the fast way (COPY on PostgreSQL, snapshots
    of participants and entries only) and the plain way (`bulk_create`, full snapshots), each
    on the same data in a rolled-back transaction, writes the same rows; the audit chains
    verify after either."""
    rng = random.Random(seed)
    world = make_world(notifications=IRO_TOLD)
    escalations = overdue(world, rng.randint(4, 9))
    for escalation in rng.sample(escalations, 2):  # a second action, due in a day: a reminder
        ActionFactory(
            escalation=escalation, owner=world.teacher, due_on=date(2026, 12, 3) + timedelta(1)
        )
    sweep_deadlines(now=at(date(2026, 12, 2), hour=8))  # some told already (nothing overdue)
    overdue(world, rng.randint(1, 4))

    def run(*, fast: bool) -> tuple[dict[str, Any], int]:
        monkeypatch.setattr(bulk, "COPY", fast)
        monkeypatch.setattr(
            transition,
            "TOLD_PARTS",
            ("participants", "chronology") if fast else auditing.PARTS,
        )
        with rolled_back():
            marks = _marks()
            with CaptureQueriesContext(connection) as queries:
                report = sweep_deadlines(now=at(date(2026, 12, 3)))
            assert report.stage_overdue and report.action_overdue
            written = _written(marks)
            for chain in AuditChain.objects.all():
                assert verify_chain(chain) is None
        return written, len(queries.captured_queries)

    plain, plain_queries = run(fast=False)
    fast, fast_queries = run(fast=True)
    assert plain["outbox"] and plain["entries"] and plain["audit"] and plain["participants"]
    assert fast == plain
    # Full snapshots read stages, actions and panels (3 queries, twice); COPY with its staging
    # table for the outbox is 2 queries more for the outbox and none for entries and audit.
    extra = 2 if connection.vendor == "postgresql" else 0
    assert fast_queries == plain_queries - 6 + extra
