"""The daily email (issue 16): routine notices to a manager who chose it come as one email a day;
urgent ones never wait; it is sent once a day however often it runs; access is checked when it
is made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from time_machine import travel

from escalate.directory.models import Person
from escalate.escalations import digest, services
from escalate.escalations.models import Escalation, Participant
from escalate.escalations.tasks import enqueue_digest_if_due
from escalate.escalations.tests.factories import World, make_world
from escalate.notifications.delivery import deliver_due_notifications
from escalate.notifications.models import Channel, Notification, Status
from escalate.notifications.services import SettingRefused, choose_daily_digest
from escalate.policies.schema import Event

pytestmark = pytest.mark.django_db

URGENT = {
    "immediate_harm": True,
    "urgent_guidance_shown": True,
    "protective_actions": ["emergency_services", "dsl_told"],
    "protective_action": "Police called at 10:05; our DSL told at 10:10.",
}


NOTIFICATIONS = [
    {"on": "raised", "notify": ["respondent", "stage_participants"]},
    {"on": "discussion_recorded", "notify": ["raiser", "respondent"]},
    {"on": "stage_entered", "notify": ["stage_participants"]},
]


@pytest.fixture
def world() -> World:
    world = make_world(notifications=NOTIFICATIONS)
    # The decision challenged is the team manager's: a manager told of every step.
    choose_daily_digest(person=world.team_manager, daily=True)
    return world


def raise_about_manager(world: World, **overrides: Any) -> Escalation:
    details = world.details(respondent_person=world.team_manager, **overrides)
    return services.raise_escalation(by=world.teacher, details=details)


def discuss(world: World, escalation: Escalation) -> None:
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The team manager",
        method="Phone call",
        summary="We went through the referral.",
        outcome="We still disagree.",
    )


def emails_to(person: Person) -> Any:
    return Notification.objects.filter(recipient=person, channel=Channel.EMAIL)


def digests_to(person: Person) -> list[Any]:
    return [message for message in mail.outbox if message.to == [person.email]]


def test_routine_notices_wait_for_the_daily_email_and_appear_in_escalate_at_once(
    world: World,
) -> None:
    escalation = raise_about_manager(world)
    discuss(world, escalation)
    held = emails_to(world.team_manager).exclude(event="daily_digest")
    assert held.count() == 2 and {row.status for row in held} == {Status.HELD}
    in_app = Notification.objects.filter(recipient=world.team_manager, channel=Channel.IN_APP)
    assert in_app.count() == 2 and {row.status for row in in_app} == {Status.PENDING}
    # Nobody is e-mailed about what they did themselves, but for raising it (the raiser's
    # confirmation); someone who did not choose the daily e-mail is e-mailed at once (the
    # raiser, of the respondent's discussion).
    assert [row.event for row in emails_to(world.teacher)] == [Event.RAISED]
    escalation.refresh_from_db()
    services.record_discussion(
        escalation=escalation,
        by=world.team_manager,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The teacher",
        method="Phone call",
        summary="We went through the referral again.",
        outcome="We still disagree.",
    )
    assert emails_to(world.teacher).count() == 2
    assert {row.status for row in emails_to(world.teacher)} == {Status.PENDING}
    deliver_due_notifications()
    assert digests_to(world.team_manager) == [] and digests_to(world.teacher)

    report = digest.send_daily_digests()
    assert (report.sent, report.notices) == (1, 2)
    deliver_due_notifications()
    [email] = digests_to(world.team_manager)
    day = timezone.localdate().strftime("%-d %B %Y")
    assert email.subject == f"Your daily email about escalations: 1 escalation, {day}"
    body = email.body
    # The escalation once, what happened, what is asked and by when, and one link.
    assert body.count(f"Escalation {escalation.reference}") == 1
    assert "What happened: A new escalation has been raised; A discussion has been recorded." in (
        body
    )
    assert "What you need to do: Check that the record on the escalation page is right" in body
    assert "By: " in body
    assert body.count(escalation.get_absolute_url()) == 1
    assert "/notifications/settings/" in body
    assert "Alex Example" not in body  # never the child's name
    assert {row.status for row in held.all()} == {Status.SENT}
    assert {row.digest_id for row in held.all()} == {
        emails_to(world.team_manager).get(event="daily_digest").pk
    }


def test_urgent_notices_are_never_held_for_the_daily_email(world: World) -> None:
    raise_about_manager(world, **URGENT)
    [email] = emails_to(world.team_manager)
    assert email.status == Status.PENDING and email.subject.startswith("Urgent: ")
    assert digest.send_daily_digests().sent == 0
    deliver_due_notifications()
    assert [m.subject for m in digests_to(world.team_manager)] == [email.subject]


def test_running_twice_on_a_day_sends_once_and_later_notices_wait_for_tomorrow(
    world: World,
) -> None:
    escalation = raise_about_manager(world)
    today = timezone.now()
    assert digest.send_daily_digests(now=today).sent == 1
    assert digest.send_daily_digests(now=today).sent == 0
    discuss(world, escalation)  # after today's email
    again = digest.send_daily_digests(now=today)
    assert (again.sent, again.waiting) == (0, 1)
    assert emails_to(world.team_manager).filter(status=Status.HELD).count() == 1
    assert digest.send_daily_digests(now=today + timedelta(days=1)).sent == 1
    assert emails_to(world.team_manager).filter(event="daily_digest").count() == 2
    assert not emails_to(world.team_manager).filter(status=Status.HELD).exists()


def test_a_crash_mid_run_loses_nothing_and_sends_nothing_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    choose_daily_digest(person=world.service_manager, daily=True)
    raise_about_manager(world)
    services.raise_escalation(
        by=world.teacher, details=world.details(respondent_person=world.service_manager)
    )
    real = digest.messages.daily_digest
    calls: list[str] = []

    def crash_on_second(**fields: Any) -> Any:
        calls.append(fields["name"])
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real(**fields)

    monkeypatch.setattr(digest.messages, "daily_digest", crash_on_second)
    with pytest.raises(RuntimeError):
        digest.send_daily_digests()
    first, second = (
        Person.objects.get(full_name=name) for name in calls
    )  # whoever came first was sent; the other's notices still wait
    assert emails_to(first).filter(event="daily_digest").count() == 1
    assert emails_to(second).filter(status=Status.HELD).count() == 1
    assert not emails_to(second).filter(event="daily_digest").exists()
    monkeypatch.setattr(digest.messages, "daily_digest", real)
    report = digest.send_daily_digests()
    assert (report.sent, report.notices) == (1, 1)
    for person in (first, second):
        assert emails_to(person).filter(event="daily_digest").count() == 1


def test_turning_the_daily_email_off_sends_new_notices_at_once_and_keeps_the_held_ones(
    world: World,
) -> None:
    escalation = raise_about_manager(world)
    choose_daily_digest(person=world.team_manager, daily=False)
    world.team_manager.refresh_from_db()
    escalation.refresh_from_db()
    discuss(world, escalation)
    statuses = dict(emails_to(world.team_manager).values_list("event", "status"))
    assert statuses == {"raised": Status.HELD, "discussion_recorded": Status.PENDING}
    assert digest.send_daily_digests().notices == 1  # the one held before is not lost


def test_only_managers_may_choose_the_daily_email(world: World) -> None:
    with pytest.raises(SettingRefused):
        choose_daily_digest(person=world.teacher, daily=True)
    assert choose_daily_digest(person=world.teacher, daily=False) is False
    assert not Person.objects.get(pk=world.teacher.pk).daily_digest


def test_nobody_gets_a_daily_email_about_an_escalation_they_may_no_longer_see(
    world: World,
) -> None:
    escalation = raise_about_manager(world)
    Participant.objects.filter(escalation=escalation, person=world.team_manager).delete()
    report = digest.send_daily_digests()
    assert (report.sent, report.withheld) == (0, 1)
    assert emails_to(world.team_manager).get().status == Status.WITHHELD
    deliver_due_notifications()
    assert digests_to(world.team_manager) == []


def test_a_notice_naming_the_child_becomes_only_an_update_in_the_daily_email(
    world: World,
) -> None:
    escalation = raise_about_manager(world)
    row = emails_to(world.team_manager).get()
    row.personalisation = {**row.personalisation, "what": "About Alex Example"}
    row.save()
    digest.send_daily_digests()
    body = emails_to(world.team_manager).get(event="daily_digest").body
    assert "Alex" not in body
    assert f"Escalation {escalation.reference}\nWhat happened: There is an update." in body


def test_the_daily_email_is_enqueued_once_a_day_from_its_hour(settings: Any) -> None:
    settings.NOTIFICATIONS_DIGEST_HOUR = 7
    with travel(datetime(2026, 12, 1, 6, 30, tzinfo=UTC), tick=False):
        assert enqueue_digest_if_due() is False
    with travel(datetime(2026, 12, 1, 7, 5, tzinfo=UTC), tick=False):
        assert enqueue_digest_if_due() is True
        assert enqueue_digest_if_due() is False
    with travel(datetime(2026, 12, 2, 7, 5, tzinfo=UTC), tick=False):
        assert enqueue_digest_if_due() is True
    assert (
        DBTaskResult.objects.filter(
            task_path="escalate.escalations.tasks.send_daily_digests_task"
        ).count()
        == 2
    )
