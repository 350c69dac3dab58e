"""Short-lived personal data goes within weeks: drafts, delivered email text, sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from escalate.audit.models import AuditEvent
from escalate.directory.tests.factories import PartnershipFactory, PersonFactory
from escalate.escalations.models import DecisionDraft, RaiseDraft
from escalate.escalations.tests.views_support import cast, raise_one
from escalate.notifications.models import Channel, Notification, Status
from escalate.privacy.services import dispose_routine
from escalate.privacy.tasks import enqueue_if_due

pytestmark = pytest.mark.django_db


def _notice(n: int, *, status: str, channel: str, sent_days_ago: int | None) -> Notification:
    partnership = PartnershipFactory()
    sent_at = timezone.now() - timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    return Notification.objects.create(
        partnership=partnership,
        event="test",
        event_key=f"test:{n}",
        recipient_email=f"person{n}@testshire.example.org",
        recipient_key=f"email:person{n}@testshire.example.org",
        channel=channel,
        subject=f"Escalation TST-2026-{n:04d} has moved to Stage 2",
        body="Sam Example's case: the referral was closed.",
        status=status,
        sent_at=sent_at,
    )


def test_drafts_untouched_for_28_days_are_deleted_and_recent_ones_kept() -> None:
    person = PersonFactory()
    with time_machine.travel(timezone.now() - timedelta(days=29)):
        old = RaiseDraft.objects.create(person=person, data={"subject_name": "Sam Example"})
    recent = RaiseDraft.objects.create(person=person, data={"subject_name": "Alex Example"})
    report = dispose_routine()
    assert report.drafts_deleted == 1
    assert not RaiseDraft.objects.filter(pk=old.pk).exists()
    assert RaiseDraft.objects.filter(pk=recent.pk).exists()


def test_decision_drafts_untouched_for_28_days_are_deleted_and_recent_ones_kept() -> None:
    people = cast()
    escalation = raise_one(people)
    with time_machine.travel(timezone.now() - timedelta(days=29)):
        old = DecisionDraft.objects.create(
            person=people.raiser,
            escalation=escalation,
            action="resolve_escalation",
            version=escalation.version,
            data={"pages": {"decision": {"decision": ["Sam Example's case is reopened."]}}},
        )
    recent = DecisionDraft.objects.create(
        person=people.raiser_manager,
        escalation=escalation,
        action="resolve_escalation",
        version=escalation.version,
    )
    assert dispose_routine().drafts_deleted == 1
    assert not DecisionDraft.objects.filter(pk=old.pk).exists()
    assert DecisionDraft.objects.filter(pk=recent.pk).exists()


def test_delivered_email_text_goes_after_28_days_but_who_was_told_stays() -> None:
    old = _notice(1, status=Status.SENT, channel=Channel.EMAIL, sent_days_ago=29)
    recent = _notice(2, status=Status.SENT, channel=Channel.EMAIL, sent_days_ago=3)
    failed = _notice(3, status=Status.FAILED, channel=Channel.EMAIL, sent_days_ago=None)
    in_app = _notice(4, status=Status.SENT, channel=Channel.IN_APP, sent_days_ago=40)
    assert dispose_routine().notification_bodies_removed == 1
    old.refresh_from_db()
    assert old.body == ""
    assert old.subject.startswith("Escalation TST-2026-0001")  # the record of who was told
    assert old.recipient_email == "person1@testshire.example.org"
    for kept in (recent, failed, in_app):
        kept.refresh_from_db()
        assert kept.body.startswith("Sam Example")


def test_expired_sessions_are_deleted() -> None:
    store = SessionStore()
    store["x"] = 1
    store.set_expiry(-1)
    store.create()
    live = SessionStore()
    live["x"] = 1
    live.create()
    assert dispose_routine().sessions_deleted >= 1
    assert Session.objects.filter(session_key=live.session_key).exists()


def test_a_disposal_is_one_audited_event_and_a_rerun_removes_nothing() -> None:
    person = PersonFactory()
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        RaiseDraft.objects.create(person=person, data={})
    dispose_routine()
    events = AuditEvent.objects.filter(action="routine_disposal")
    assert events.count() == 1
    assert events.get().new_values == {
        "drafts_deleted": 1,
        "notification_bodies_removed": 0,
        "sessions_deleted": 0,
    }
    assert dispose_routine().drafts_deleted == 0
    assert events.count() == 1  # nothing removed, nothing audited


def test_the_scheduler_enqueues_it_once_a_day() -> None:
    assert enqueue_if_due() is True
    assert enqueue_if_due() is False
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert enqueue_if_due() is True


def test_the_command_reports_counts(capsys) -> None:
    call_command("dispose_routine")
    assert "drafts deleted: 0" in capsys.readouterr().out


def test_the_status_is_the_runs_outcome_not_the_enqueuing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Enqueuing marks only when it was enqueued; the routine_disposal check is written by the
    run itself, so a failing disposal shows as failed, never as healthy."""
    from escalate.operations.models import CheckResult
    from escalate.privacy import tasks

    assert enqueue_if_due() is True
    assert not CheckResult.objects.filter(name=tasks.CHECK).exists()  # enqueued, not run

    def broken() -> None:
        raise RuntimeError("storage unavailable: Sam Example's file")

    monkeypatch.setattr(tasks, "dispose_routine", broken)
    with pytest.raises(RuntimeError):
        tasks.dispose_routine_task.call()
    failed = CheckResult.objects.get(name=tasks.CHECK)
    assert (failed.ok, failed.detail) == (False, "failed: RuntimeError")  # no message content

    monkeypatch.undo()
    tasks.dispose_routine_task.call()
    assert CheckResult.objects.get(name=tasks.CHECK).ok
