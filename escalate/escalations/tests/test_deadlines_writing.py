"""How the deadline sweep writes a batch: queries that do not grow with the escalations told,
and the same rows as telling them one by one."""

from __future__ import annotations

import random
from datetime import date, datetime, time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.verification import verify_chain
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.deadlines import sweep_deadlines
from escalate.escalations.models import Part, Participant
from escalate.escalations.services.transition import add_participant, add_participants
from escalate.escalations.tests.factories import (
    ActionFactory,
    EscalationFactory,
    ParticipantFactory,
    StageRecordFactory,
    World,
    make_world,
)
from escalate.notifications.models import Notification
from escalate.policies.calendar import LONDON, end_of_day

pytestmark = pytest.mark.django_db

DUE = end_of_day(date(2026, 12, 2))  # a Wednesday
# The standard deadline rules, and the allocated IRO told of an overdue stage or action: the
# IRO is told to act, so becomes a participant (a row per escalation written by the sweep).
IRO_TOLD = [
    {"on": "reminder", "notify": ["stage_participants"]},
    {"on": "overdue", "notify": ["stage_participants", "raiser", "iro"]},
    {"on": "action_overdue", "notify": ["action_owner", "iro"]},
]


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def overdue(world: World, count: int) -> list:
    """`count` escalations with an overdue stage and action, each with its own allocated IRO."""
    made = []
    for _ in range(count):
        escalation = EscalationFactory(
            partnership=world.partnership,
            policy_version=world.policy,
            raiser_agency=world.school,
            raised_by=world.teacher,
            respondent_agency=world.csc,
            respondent_person=world.social_worker,
            allocated_iro=PersonFactory(agency=world.csc),
            current_stage_key="stage_1",
            stage_due_at=DUE,
        )
        StageRecordFactory(escalation=escalation, due_at=DUE)
        for person, part in ((world.teacher, Part.RAISER), (world.social_worker, Part.RESPONDENT)):
            ParticipantFactory(escalation=escalation, person=person, part=part, stage_key="stage_1")
        ActionFactory(escalation=escalation, owner=world.team_manager, due_on=date(2026, 12, 1))
        made.append(escalation)
    return made


def _not_inserts(queries: list[dict]) -> list[str]:
    # bulk_create splits a large insert by the backend's parameter limit (SQLite's): not per row.
    return [query["sql"] for query in queries if not query["sql"].startswith("INSERT")]


def test_a_catch_up_uses_the_same_queries_for_2_or_12_escalations_whoever_is_told() -> None:
    """Each escalation's IRO is told and made a participant: the participants are read and
    written for the batch at once, and the IRO is loaded with the escalation, so nothing is
    queried per escalation or per notice."""
    world = make_world(notifications=IRO_TOLD)
    overdue(world, 1)
    sweep_deadlines(now=at(date(2026, 12, 3), hour=8))  # the partnership's audit chain begins
    few = overdue(world, 2)
    with CaptureQueriesContext(connection) as first:
        report = sweep_deadlines(now=at(date(2026, 12, 3)))
    assert report.stage_overdue == report.action_overdue == 2
    many = overdue(world, 12)
    with CaptureQueriesContext(connection) as second:
        report = sweep_deadlines(now=at(date(2026, 12, 3), hour=10))
    assert report.stage_overdue == report.action_overdue == 12
    assert len(_not_inserts(second.captured_queries)) == len(_not_inserts(first.captured_queries))
    for escalation in [*few, *many]:
        assert Participant.objects.get(
            escalation=escalation, person=escalation.allocated_iro
        ).part == (Part.IRO)
        iro_told = Notification.objects.filter(
            escalation_id=escalation.pk, recipient=escalation.allocated_iro
        )
        assert set(iro_told.values_list("event_key", flat=True)) == {
            f"overdue:stage:{escalation.stages.get().pk}",
            f"overdue:action:{escalation.actions.get().pk}",
        }
    event = AuditEvent.objects.get(action="escalation_notified", object_id=str(many[0].pk))
    assert f"participant[{many[0].allocated_iro_id}:{Part.IRO}]" in event.new_values
    for chain in AuditChain.objects.filter(key__in=AuditEvent.objects.values("chain_key")):
        assert verify_chain(chain) is None


def _participants() -> list[tuple]:
    return sorted(
        Participant.objects.values_list(
            "escalation_id", "person_id", "part", "stage_key", "added_at"
        )
    )


@pytest.mark.parametrize("seed", range(5))
def test_adding_participants_at_once_gives_the_rows_adding_them_one_by_one_gives(seed: int) -> None:
    """A generated batch: some people already participants (at the same stage or another), some
    named twice (at different stages), some new; `add_participants` leaves the same rows as
    `add_participant` called for each in turn."""
    rng = random.Random(seed)
    escalations = [EscalationFactory() for _ in range(3)]
    people = [PersonFactory() for _ in range(4)]
    parts = [Part.IRO, Part.CP_CHAIR, Part.DSL]
    stages = ["stage_1", "stage_2"]
    for escalation in escalations:
        for person in rng.sample(people, 2):
            ParticipantFactory(
                escalation=escalation,
                person=person,
                part=rng.choice(parts),
                stage_key=rng.choice(stages),
            )
    now = timezone.now()
    rows = [
        Participant(
            escalation=rng.choice(escalations),
            person=rng.choice(people),
            part=rng.choice(parts),
            stage_key=rng.choice(stages),
            added_at=now,
        )
        for _ in range(12)
    ]
    with transaction.atomic():
        for row in rows:
            add_participant(row.escalation, row.person, row.part, row.stage_key, now)
        one_by_one = _participants()
        transaction.set_rollback(True)
    add_participants(rows)
    assert _participants() == one_by_one
