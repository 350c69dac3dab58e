"""Faults that must lose nothing, through the real raise_escalation service."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalate.escalations.models import Escalation
from escalate.escalations.services import raise_escalation, raising
from escalate.escalations.tests.factories import make_world
from escalate.notifications.delivery import deliver_due_notifications
from escalate.notifications.models import Channel, Notification, Status
from escalate.notifications.selectors import notifications_for_escalation
from escalate.notifications.tests.smtp_server import LocalSMTPServer

pytestmark = pytest.mark.django_db


def test_mail_server_down_at_raise_saves_the_escalation_and_delivers_once_later(
    smtp_server: LocalSMTPServer,
) -> None:
    world = make_world()
    smtp_server.stop()

    escalation = raise_escalation(by=world.teacher, details=world.details())

    assert Escalation.objects.filter(pk=escalation.pk).exists()
    emails = Notification.objects.filter(escalation=escalation, channel=Channel.EMAIL)
    assert emails.exists()
    deliver_due_notifications()
    assert not emails.filter(status=Status.SENT).exists()
    assert all(row.attempts == 1 and row.last_error for row in emails)

    smtp_server.start()
    later = max(row.next_attempt_at for row in emails) + timedelta(seconds=1)
    deliver_due_notifications(now=later)
    deliver_due_notifications(now=later + timedelta(hours=2))

    assert set(emails.values_list("status", flat=True)) == {Status.SENT}
    references = [message["X-Escalate-Reference"] for message in smtp_server.messages]
    assert sorted(references) == sorted(f"notification:{row.pk}" for row in emails)
    assert len(set(references)) == len(references)


def test_a_rolled_back_raise_leaves_no_notification(
    django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world()

    def fail(by: object) -> None:
        assert Notification.objects.exists()  # written, then rolled back with the raise
        raise RuntimeError("something after the raise failed")

    monkeypatch.setattr(raising, "_discard_drafts", fail)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        raise_escalation(by=world.teacher, details=world.details(), discard_draft=True)
    assert not Escalation.objects.exists()
    assert not Notification.objects.exists()
    assert callbacks == []


def test_emails_from_a_real_raise_name_no_child(smtp_server: LocalSMTPServer) -> None:
    world = make_world()
    escalation = raise_escalation(
        by=world.teacher,
        details=world.details(subject_name="Alex Example", case_references="MOS-4471"),
    )
    deliver_due_notifications()
    assert smtp_server.messages
    for message in smtp_server.messages:
        text = f"{message['Subject']}\n{message.get_payload()}"
        assert "Alex" not in text
        assert "MOS-4471" not in text
        assert escalation.reference in text
        assert escalation.get_absolute_url() in text


def test_the_timeline_shows_who_was_told_and_whether_delivered(
    smtp_server: LocalSMTPServer,
) -> None:
    world = make_world()
    escalation = raise_escalation(by=world.teacher, details=world.details())
    before = list(notifications_for_escalation(escalation))
    assert before
    assert {row.status for row in before} == {Status.PENDING}
    deliver_due_notifications()
    after = list(notifications_for_escalation(escalation))
    assert {row.status for row in after} == {Status.SENT}
    assert world.social_worker in {row.recipient for row in after}
    assert all(row.sent_at is not None for row in after)
