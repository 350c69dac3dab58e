"""Timescales people can set (issue 15, item 6): a manager at the current stage, on either side,
brings the due date forward (or sets it where the policy lets them), with a reason; it is on the
timeline and audited, and the sweep's reminders and overdue notices follow the new date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalate.api.tests.support import api_as, error_of
from escalate.audit.models import AuditEvent
from escalate.escalations import selectors, services
from escalate.escalations.deadlines import sweep_deadlines
from escalate.escalations.models import ChronologyEntry, EntryKind, Escalation
from escalate.escalations.tests.test_views_stage import action_url
from escalate.escalations.tests.views_support import Cast, cast, raise_one, signed_in
from escalate.notifications.models import Notification
from escalate.policies import calendar

pytestmark = pytest.mark.django_db


def at_stage_2(people: Cast) -> Escalation:
    """Raised, discussed at Stage 1 and escalated: the line managers act at Stage 2."""
    escalation = raise_one(people)
    services.record_discussion(
        escalation=escalation,
        by=people.raiser,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="phone",
        summary="We went through the referral.",
        outcome="We disagree.",
    )
    escalation.refresh_from_db()
    return services.escalate_to_next_stage(
        escalation=escalation,
        by=people.raiser,
        expected_version=escalation.version,
        reason="Still disagree.",
    )


def test_a_manager_on_either_side_brings_the_due_date_forward_with_a_reason() -> None:
    people = cast()
    escalation = at_stage_2(people)
    old_due = escalation.stage_due_at
    today = calendar.local_date(timezone.now())
    assert "change_timescale" in selectors.allowed_actions(escalation, people.respondent_manager)
    assert "change_timescale" in selectors.allowed_actions(escalation, people.raiser_manager)
    # The practitioners are not managers at this stage.
    assert "change_timescale" not in selectors.allowed_actions(escalation, people.raiser)
    with pytest.raises(services.ActionRefused, match="Only a manager at this stage"):
        services.change_timescale(
            escalation=escalation,
            by=people.respondent,
            expected_version=escalation.version,
            due_on=today,
            reason="Sooner",
        )
    changed = services.change_timescale(
        escalation=escalation,
        by=people.respondent_manager,
        expected_version=escalation.version,
        due_on=today,
        reason="The child's safety needs a decision today.",
    )
    assert changed.stage_due_at == calendar.end_of_day(today)
    assert changed.stages.get(stage_key="stage_2").due_at == calendar.end_of_day(today)
    entry = ChronologyEntry.objects.get(escalation=escalation, kind=EntryKind.TIMESCALE_CHANGED)
    assert entry.actor == people.respondent_manager
    assert entry.text == "The child's safety needs a decision today."
    assert entry.data["from"] == old_due.isoformat()  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="escalation_timescale_changed").count() == 1
    # The stage's people are told of the new date.
    assert Notification.objects.filter(
        escalation=escalation, event="timescale_changed", recipient=people.raiser_manager
    ).exists()


def test_the_due_date_is_not_put_back_where_the_policy_does_not_let_managers_set_it() -> None:
    people = cast()
    escalation = at_stage_2(people)
    later = calendar.local_date(escalation.stage_due_at) + timedelta(days=3)  # type: ignore[arg-type]
    with pytest.raises(services.ActionRefused, match="brought forward, not put back"):
        services.change_timescale(
            escalation=escalation,
            by=people.raiser_manager,
            expected_version=escalation.version,
            due_on=later,
            reason="More time",
        )
    with pytest.raises(services.ActionRefused) as refused:
        services.change_timescale(
            escalation=escalation,
            by=people.raiser_manager,
            expected_version=escalation.version,
            due_on=calendar.local_date(timezone.now()),
            reason="  ",
        )
    assert refused.value.field == "reason"


def test_the_sweep_follows_the_new_due_date() -> None:
    people = cast()
    escalation = at_stage_2(people)
    today = calendar.local_date(timezone.now())
    assert sweep_deadlines(now=timezone.now()).stage_overdue == 0
    services.change_timescale(
        escalation=escalation,
        by=people.raiser_manager,
        expected_version=escalation.version,
        due_on=today,
        reason="Same day: the child is at risk.",
    )
    # Reminded of the new date, and told it is overdue once it passes, not at the old date.
    report = sweep_deadlines(now=timezone.now())
    assert report.stage_reminders == 1 and report.stage_overdue == 0
    after = calendar.end_of_day(today) + timedelta(minutes=1)
    assert sweep_deadlines(now=after).stage_overdue == 1
    assert sweep_deadlines(now=after).stage_overdue == 0


def test_the_page_changes_the_due_date_and_the_timeline_shows_it() -> None:
    people = cast()
    escalation = at_stage_2(people)
    manager = signed_in(people.respondent_manager)
    detail = reverse("escalations:detail", args=[escalation.reference])
    assert action_url(escalation, "timescale") in manager.get(detail).content.decode()
    assert action_url(escalation, "timescale") not in (
        signed_in(people.raiser).get(detail).content.decode()
    )
    today = calendar.local_date(timezone.now())
    empty = manager.post(
        action_url(escalation, "timescale"), {"expected_version": escalation.version}
    )
    assert "Enter the new due date" in empty.content.decode()
    assert "Enter why the due date changes" in empty.content.decode()
    done = manager.post(
        action_url(escalation, "timescale"),
        {
            "expected_version": escalation.version,
            "due_on_day": today.day,
            "due_on_month": today.month,
            "due_on_year": today.year,
            "reason": "The child's safety needs it.",
        },
    )
    assert done.status_code == 302
    page = manager.get(detail).content.decode()
    assert "Due date changed" in page and "Now due" in page and today.strftime("%-d %B %Y") in page


def test_the_api_refuses_with_the_rule_named() -> None:
    people = cast()
    escalation = at_stage_2(people)
    ref = escalation.reference
    today = calendar.local_date(timezone.now())
    body = {"expected_version": escalation.version, "due_on": today.isoformat(), "reason": "Now"}
    refused = api_as(people.raiser).post(f"/escalations/{ref}/timescale", body)
    assert refused.status_code == 422 and error_of(refused)["code"] == "refused"
    assert "Only a manager at this stage" in error_of(refused)["message"]
    later = today + timedelta(days=30)
    too_late = api_as(people.raiser_manager).post(
        f"/escalations/{ref}/timescale", body | {"due_on": later.isoformat()}
    )
    assert too_late.status_code == 422
    assert "not put back" in error_of(too_late)["message"]
    assert error_of(too_late)["field"] == "due_on"
    stale = api_as(people.raiser_manager).post(
        f"/escalations/{ref}/timescale", body | {"expected_version": 1}
    )
    assert stale.status_code == 409
    done = api_as(people.raiser_manager).post(f"/escalations/{ref}/timescale", body)
    assert done.status_code == 200, done.content
    escalation.refresh_from_db()
    assert escalation.stage_due_at == calendar.end_of_day(today)
