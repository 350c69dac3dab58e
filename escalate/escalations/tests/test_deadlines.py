"""The deadline sweep: reminders, overdue notices and escalate prompts, each written once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalate.audit.models import AuditChain, AuditEvent
from escalate.audit.verification import verify_chain
from escalate.directory.models import Person
from escalate.escalations.deadlines import due_notices, sweep_deadlines, working_days_before
from escalate.escalations.models import Part, StageRecord, Status
from escalate.escalations.services import add_action, raise_escalation
from escalate.escalations.state import flags_of
from escalate.escalations.tests.factories import (
    ActionFactory,
    EscalationFactory,
    ParticipantFactory,
    StageRecordFactory,
    World,
    current_policy,
    make_world,
)
from escalate.escalations.workflow import notifications_for
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


def reminder_key(record: StageRecord) -> str:
    """A stage reminder's key names the due day, so a changed due date is reminded afresh."""
    assert record.due_at is not None
    return f"reminder:stage:{record.pk}:{record.due_at.astimezone(LONDON).date().isoformat()}"


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
    assert keys_for(escalation.raised_by) == {reminder_key(record)}
    assert keys_for(escalation.respondent_person) == {reminder_key(record)}
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
        event_key=reminder_key(record),
    ).exists()


def test_action_owner_is_reminded_and_told_when_overdue_with_whoever_the_policy_names() -> None:
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


def test_finding_what_is_due_uses_the_same_queries_for_many_escalations() -> None:
    for _ in range(2):
        open_stage()
        ActionFactory(due_on=date(2026, 12, 1))
    with CaptureQueriesContext(connection) as few:
        assert len(due_notices(at(date(2026, 12, 3)))) == 6
    for _ in range(10):
        open_stage()
        ActionFactory(due_on=date(2026, 12, 1))
    with CaptureQueriesContext(connection) as many:
        assert len(due_notices(at(date(2026, 12, 3)))) == 36
    assert len(many.captured_queries) == len(few.captured_queries) <= 4


def test_a_steady_state_sweep_reads_the_same_few_queries_however_much_is_open() -> None:
    """Every few minutes, with everything already told: nothing is loaded per escalation."""
    for _ in range(2):
        open_stage()
        ActionFactory(due_on=date(2026, 12, 1))
    sweep_deadlines(now=at(date(2026, 12, 3)))
    with CaptureQueriesContext(connection) as few:
        assert sweep_deadlines(now=at(date(2026, 12, 3), hour=15)).notifications_written == 0
    for _ in range(10):
        open_stage()
        ActionFactory(due_on=date(2026, 12, 1))
    sweep_deadlines(now=at(date(2026, 12, 3)))
    with CaptureQueriesContext(connection) as many:
        assert sweep_deadlines(now=at(date(2026, 12, 3), hour=15)).notifications_written == 0
    # Two for the deadlines, two for issue 15's checks (asking entries, stranded escalations).
    assert _reads(many.captured_queries) == _reads(few.captured_queries) <= 4


def due_in_one_partnership(count: int, first=None):
    """`count` escalations of one partnership, each with an overdue stage and action."""
    made = []
    for _ in range(count):
        if first is None:
            escalation, _record = open_stage()
            first = escalation
        else:
            escalation, _record = open_stage(
                partnership=first.partnership,
                policy_version=first.policy_version,
                raiser_agency=first.raiser_agency,
                respondent_agency=first.respondent_agency,
            )
        ActionFactory(escalation=escalation, due_on=date(2026, 12, 1))
        made.append(escalation)
    return made


def test_a_first_catch_up_sweep_uses_the_same_queries_however_many_escalations_are_due() -> None:
    """Telling 2 or 12 escalations (each an overdue stage, an escalate prompt and an overdue
    action): one batch, one lock, one snapshot, one INSERT each for the outbox, the entries and
    the audit rows, so the queries do not grow with the notices."""
    (first,) = due_in_one_partnership(1)
    sweep_deadlines(now=at(date(2026, 12, 3), hour=8))  # the partnership's audit chain begins
    few_escalations = due_in_one_partnership(2, first=first)
    with CaptureQueriesContext(connection) as few:
        report = sweep_deadlines(now=at(date(2026, 12, 3)))
    assert report.stage_overdue == report.escalate_prompts == report.action_overdue == 2
    many_escalations = due_in_one_partnership(12, first=first)
    with CaptureQueriesContext(connection) as many:
        report = sweep_deadlines(now=at(date(2026, 12, 3), hour=10))
    assert report.stage_overdue == report.escalate_prompts == report.action_overdue == 12
    assert _reads(many.captured_queries) == _reads(few.captured_queries)
    # Every escalation told has its one audit row for the sweep, and the chain still verifies.
    told = AuditEvent.objects.filter(action="escalation_notified")
    assert sorted(told.values_list("object_id", flat=True)) == sorted(
        str(e.pk) for e in [first, *few_escalations, *many_escalations]
    )
    event = told.get(object_id=str(many_escalations[0].pk))
    assert event.actor is None
    assert [entry["kind"] for entry in event.new_values["chronology"]] == ["notification"] * 3
    for chain in AuditChain.objects.filter(key__in=told.values("chain_key")):
        assert verify_chain(chain) is None


def test_working_days_before_skips_weekends_and_bank_holidays() -> None:
    assert working_days_before(date(2026, 12, 2), 1, "england") == date(2026, 12, 1)
    assert working_days_before(date(2026, 11, 30), 1, "england") == date(2026, 11, 27)
    assert working_days_before(date(2026, 12, 29), 1, "england") == date(2026, 12, 24)
    assert working_days_before(date(2026, 12, 2), 0, "england") == date(2026, 12, 2)


def test_a_raised_escalation_falls_overdue_for_the_people_at_its_stage() -> None:
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


SHIPPED = sorted(path.name for path in settings.POLICY_DIR.glob("*.yaml"))


def policy_recipients(world: World, name: str) -> set[str]:
    """Who a policy recipient name means at the first stage of `world`'s escalation (the
    teacher raised it about the social worker), as outbox recipient keys."""

    def keys(*people: Person) -> set[str]:
        return {f"person:{person.pk}" for person in people}

    meaning = {
        "raiser": keys(world.teacher),
        "respondent": keys(world.social_worker),
        "stage_participants": keys(world.teacher, world.social_worker),
        "counterpart_managers": keys(world.dsl, world.team_manager),
        "business_team": {f"email:{world.partnership.business_team_email.lower()}"},
        "dsl": keys(world.dsl),
        # Only in action rules; the test's action is the team manager's.
        "action_owner": keys(world.team_manager),
    }
    return meaning[name]  # a KeyError: a shipped policy names someone this test must learn


@pytest.mark.parametrize("policy_file", SHIPPED)
def test_the_sweep_tells_whoever_each_shipped_policy_names(policy_file: str) -> None:
    """Reminders, overdue stages and overdue actions reach the people the policy's `reminder`,
    `overdue` and `action_overdue` rules name (and an action's owner), nobody else."""
    world = make_world(policy_file=policy_file)
    escalation = raise_escalation(by=world.teacher, details=world.details(categories=[]))
    action = add_action(
        escalation=escalation,
        by=world.teacher,
        owner=world.team_manager,
        description="Share the assessment with the school.",
        due_on=timezone.localdate(),
    )
    record = escalation.stages.get()
    assert record.due_at is not None
    spec = escalation.policy_version.spec

    def named(event: str) -> set[str]:
        rule = notifications_for(spec, event, record.stage_key, flags_of(escalation))
        assert rule is not None, f"{policy_file} has no {event} rule"
        return set().union(*(policy_recipients(world, str(name)) for name in rule.recipients))

    def told(key: str) -> set[str]:
        return set(
            Notification.objects.filter(event_key=key, channel=Channel.EMAIL).values_list(
                "recipient_key", flat=True
            )
        )

    reminder_day = working_days_before(
        record.due_at.astimezone(LONDON).date(),
        spec.reminder_working_days_before,
        spec.nation.value,
    )
    sweep_deadlines(now=datetime.combine(reminder_day, time(9), tzinfo=LONDON))
    assert told(reminder_key(record)) == named("reminder")

    later = max(record.due_at, at(action.due_on + timedelta(days=1))) + timedelta(days=1)
    assert sweep_deadlines(now=later).stage_overdue == 1
    assert told(f"overdue:stage:{record.pk}") == named("overdue")
    owner = {f"person:{world.team_manager.pk}"}
    assert told(f"overdue:action:{action.pk}") == named("action_overdue") | owner
