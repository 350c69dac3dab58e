"""The deadline sweep: reminders, overdue notices and escalate prompts, each written once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate.escalations.models import Part, Status
from escalate.escalations.tests.factories import (
    ActionFactory,
    EscalationFactory,
    ParticipantFactory,
    StageRecordFactory,
    current_policy,
)
from escalate.notifications.deadlines import sweep_deadlines, working_days_before
from escalate.notifications.models import Channel, Notification
from escalate.policies.calendar import LONDON, end_of_day
from escalate.policies.loader import checksum_of
from escalate.policies.schema import PolicySpec

pytestmark = pytest.mark.django_db

DUE = end_of_day(date(2026, 12, 2))  # a Wednesday


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def open_stage(**escalation_fields):
    escalation = EscalationFactory(
        current_stage_key="stage_1", stage_due_at=DUE, **escalation_fields
    )
    record = StageRecordFactory(escalation=escalation, due_at=DUE)
    ParticipantFactory(
        escalation=escalation, person=escalation.raised_by, part=Part.RAISER, stage_key="stage_1"
    )
    if escalation.respondent_person is not None:
        ParticipantFactory(
            escalation=escalation,
            person=escalation.respondent_person,
            part=Part.RESPONDENT,
            stage_key="stage_1",
        )
    return escalation, record


def keys_for(person) -> set[str]:
    return set(
        Notification.objects.filter(recipient=person, channel=Channel.EMAIL).values_list(
            "event_key", flat=True
        )
    )


def test_nothing_is_sent_before_the_reminder_day() -> None:
    open_stage()
    assert sweep_deadlines(now=at(date(2026, 11, 30))).notifications_written == 0
    assert Notification.objects.count() == 0


def test_people_at_the_stage_are_reminded_one_working_day_before() -> None:
    escalation, record = open_stage()
    report = sweep_deadlines(now=at(date(2026, 12, 1)))
    assert report.stage_reminders == 1
    assert keys_for(escalation.raised_by) == {f"reminder:stage:{record.pk}"}
    assert keys_for(escalation.respondent_person) == {f"reminder:stage:{record.pk}"}
    notice = Notification.objects.filter(event="reminder").first()
    assert "2 December 2026" in notice.subject
    assert escalation.subject_name not in notice.subject + notice.body


def test_reminder_lead_comes_from_the_policy() -> None:
    escalation, _record = open_stage()
    escalation.policy_version = current_policy(escalation.partnership)
    escalation.policy_version.document["reminder_working_days_before"] = 3
    # Test set-up: bypass immutability; the checksum names the changed document (parses are
    # cached by checksum).
    escalation.policy_version.checksum = checksum_of(
        PolicySpec.model_validate(escalation.policy_version.document)
    )
    escalation.policy_version.save_base(raw=True)
    escalation.save()
    assert sweep_deadlines(now=at(date(2026, 11, 26))).stage_reminders == 0  # 4 working days
    assert sweep_deadlines(now=at(date(2026, 11, 27))).stage_reminders == 1  # 3 working days


def test_overdue_stage_tells_the_people_at_it_and_prompts_the_raiser() -> None:
    escalation, record = open_stage()
    report = sweep_deadlines(now=at(date(2026, 12, 3)))
    assert report.stage_overdue == 1
    assert report.escalate_prompts == 1
    assert keys_for(escalation.raised_by) == {
        f"overdue:stage:{record.pk}",
        f"may_escalate:stage:{record.pk}",
    }
    assert keys_for(escalation.respondent_person) == {f"overdue:stage:{record.pk}"}
    prompt = Notification.objects.get(
        event_key=f"may_escalate:stage:{record.pk}", channel=Channel.EMAIL
    )
    assert "you may escalate" in prompt.subject.lower()
    assert "Stage 2" in prompt.body


def test_the_last_stage_has_no_escalate_prompt() -> None:
    escalation, record = open_stage()
    escalation.current_stage_key = "stage_4"
    escalation.save()
    record.stage_key = "stage_4"
    record.save()
    report = sweep_deadlines(now=at(date(2026, 12, 3)))
    assert report.stage_overdue == 1
    assert report.escalate_prompts == 0


def test_sweeping_again_sends_nothing_twice() -> None:
    open_stage()
    first = sweep_deadlines(now=at(date(2026, 12, 1)))
    again = sweep_deadlines(now=at(date(2026, 12, 1), hour=15))
    assert first.notifications_written == 4  # two people, email and in-app
    assert again.notifications_written == 0
    later = sweep_deadlines(now=at(date(2026, 12, 3)))
    assert later.notifications_written == 6  # overdue to two people, prompt to the raiser
    assert sweep_deadlines(now=at(date(2026, 12, 4))).notifications_written == 0


def test_paused_closed_and_finished_stages_are_left_alone() -> None:
    _paused_escalation, paused = open_stage()
    paused.paused_at = at(date(2026, 11, 25))
    paused.save()
    closed_escalation, _ = open_stage()
    closed_escalation.status = Status.RESOLVED
    closed_escalation.save()
    _ended_escalation, ended = open_stage()
    ended.ended_at = at(date(2026, 11, 25))
    ended.save()
    assert sweep_deadlines(now=at(date(2026, 12, 3))).notifications_written == 0


def test_a_respondent_outside_the_directory_is_reminded_by_email() -> None:
    _escalation, record = open_stage(
        respondent_person=None, respondent_email="outside@elsewhere.example.org"
    )
    sweep_deadlines(now=at(date(2026, 12, 1)))
    assert Notification.objects.filter(
        recipient_email="outside@elsewhere.example.org",
        channel=Channel.EMAIL,
        event_key=f"reminder:stage:{record.pk}",
    ).exists()


def test_action_owner_is_reminded_and_told_when_overdue() -> None:
    action = ActionFactory(due_on=date(2026, 12, 2))
    assert sweep_deadlines(now=at(date(2026, 12, 1))).action_reminders == 1
    assert sweep_deadlines(now=at(date(2026, 12, 2))).action_reminders == 0
    assert sweep_deadlines(now=at(date(2026, 12, 2))).action_overdue == 0
    assert sweep_deadlines(now=at(date(2026, 12, 3))).action_overdue == 1
    assert keys_for(action.owner) == {f"reminder:action:{action.pk}", f"overdue:action:{action.pk}"}


def test_done_actions_are_left_alone() -> None:
    ActionFactory(due_on=date(2026, 12, 2), done_at=at(date(2026, 11, 30)))
    assert sweep_deadlines(now=at(date(2026, 12, 3))).notifications_written == 0


def _reads(queries: list[dict]) -> int:
    # bulk_create splits a large insert into batches (SQLite's parameter limit): not per row.
    return sum(1 for query in queries if not query["sql"].startswith("INSERT"))


def test_the_sweep_uses_the_same_queries_for_many_escalations() -> None:
    for _ in range(2):
        open_stage()
        ActionFactory(due_on=date(2026, 12, 1))
    with CaptureQueriesContext(connection) as few:
        sweep_deadlines(now=at(date(2026, 12, 3)))
    for _ in range(10):
        open_stage()
        ActionFactory(due_on=date(2026, 12, 1))
    with CaptureQueriesContext(connection) as many:
        report = sweep_deadlines(now=at(date(2026, 12, 3)))
    assert report.stage_overdue == 10
    assert _reads(many.captured_queries) == _reads(few.captured_queries) <= 8
    inserts = len(many.captured_queries) - _reads(many.captured_queries)
    assert inserts <= 3


def test_working_days_before_skips_weekends_and_bank_holidays() -> None:
    assert working_days_before(date(2026, 12, 2), 1, "england") == date(2026, 12, 1)
    assert working_days_before(date(2026, 11, 30), 1, "england") == date(2026, 11, 27)
    assert working_days_before(date(2026, 12, 29), 1, "england") == date(2026, 12, 24)
    assert working_days_before(date(2026, 12, 2), 0, "england") == date(2026, 12, 2)


def test_a_raised_escalation_falls_overdue_for_the_people_at_its_stage() -> None:
    from escalate.escalations.services import raise_escalation
    from escalate.escalations.tests.factories import make_world

    world = make_world()
    escalation = raise_escalation(by=world.teacher, details=world.details())
    record = escalation.stages.get()
    assert record.due_at is not None
    report = sweep_deadlines(now=record.due_at + timedelta(minutes=1))
    assert report.stage_overdue == 1
    assert report.escalate_prompts == 1
    overdue = f"overdue:stage:{record.pk}"
    assert keys_for(world.teacher) >= {overdue, f"may_escalate:stage:{record.pk}"}
    assert overdue in keys_for(world.social_worker)
    assert overdue not in keys_for(world.outsider)
