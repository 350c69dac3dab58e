"""The worker sends what is due exactly once, retries with backoff, and records delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from escalate.escalations.tests.factories import EscalationFactory
from escalate.notifications.delivery import deliver_due_notifications, mentions_subject_identifiers
from escalate.notifications.models import Channel, Notification, Status
from escalate.notifications.services import enqueue_notification
from escalate.notifications.tests.fake_notify import FakeNotify
from escalate.notifications.tests.helpers import escalation_raised_with_notice
from escalate.notifications.tests.smtp_server import LocalSMTPServer

pytestmark = pytest.mark.django_db


def test_pending_email_is_sent_and_recorded(smtp_server: LocalSMTPServer) -> None:
    escalation = escalation_raised_with_notice()
    report = deliver_due_notifications()
    assert report.sent == 2  # email and in-app
    email = Notification.objects.get(escalation=escalation, channel=Channel.EMAIL)
    assert email.status == Status.SENT
    assert email.sent_at is not None
    assert email.attempts == 1
    [message] = smtp_server.messages
    assert message["To"] == escalation.respondent_person.email
    assert message["Subject"] == f"Escalation {escalation.reference} has been raised with you"
    assert message["X-Escalate-Reference"] == f"notification:{email.pk}"


def test_a_second_run_sends_nothing_again(smtp_server: LocalSMTPServer) -> None:
    escalation_raised_with_notice()
    deliver_due_notifications()
    report = deliver_due_notifications()
    assert report.sent == 0
    assert len(smtp_server.messages) == 1


def test_email_has_the_reference_and_a_link_but_no_child_identifiers(
    smtp_server: LocalSMTPServer, settings
) -> None:
    settings.SITE_URL = "https://escalate.example.org"
    escalation = EscalationFactory(
        subject_name="Robin Fictional",
        subject_date_of_birth=timezone.localdate() - timedelta(days=3000),
        case_references="LCS-99812",
    )
    # A careless body that names the child, as a bug elsewhere might write it.
    enqueue_notification(
        partnership=escalation.partnership,
        escalation=escalation,
        event="raised",
        event_key="raised:careless",
        subject="About Robin Fictional",
        body="Robin Fictional (LCS-99812) is at risk.",
        recipient=escalation.respondent_person,
    )
    deliver_due_notifications()
    [message] = smtp_server.messages
    text: str = f"{message['Subject']}\n{message.get_payload()}"
    assert "Robin" not in text
    assert "Fictional" not in text
    assert "LCS-99812" not in text
    assert escalation.subject_date_of_birth.isoformat() not in text
    assert str(escalation.reference) in text
    assert f"https://escalate.example.org/escalations/{escalation.reference}/" in text


def test_personalisation_naming_the_child_is_not_sent_to_its_template(
    fake_notify: FakeNotify, settings
) -> None:
    own = "0e5bb0b5-5f55-4a8c-9a1b-0ddc1a6f0a11"
    fake_notify.templates[own] = ["subject", "what"]
    settings.NOTIFY_TEMPLATE_IDS = {"raised.respondent": own}
    escalation = EscalationFactory(subject_name="Robin Fictional")
    enqueue_notification(
        partnership=escalation.partnership,
        escalation=escalation,
        event="raised",
        event_key="raised:careless-fields",
        subject="A new escalation",
        body="A new escalation.",
        recipient=escalation.respondent_person,
        template_key="raised.respondent",
        personalisation={"subject": "A new escalation", "what": "Robin Fictional is at risk"},
    )
    deliver_due_notifications()
    [sent] = fake_notify.sent
    assert sent["template_id"] == fake_notify.template_id
    assert "Robin" not in str(sent["personalisation"])


def test_a_clean_body_is_sent_as_written_with_a_link(smtp_server: LocalSMTPServer) -> None:
    escalation = escalation_raised_with_notice()
    deliver_due_notifications()
    body = str(smtp_server.messages[0].get_payload())
    assert f"Escalation {escalation.reference} has been raised with your agency." in body
    assert escalation.get_absolute_url() in body


def test_mail_server_down_keeps_the_escalation_and_delivers_once_when_back(
    smtp_server: LocalSMTPServer,
) -> None:
    smtp_server.stop()
    escalation = escalation_raised_with_notice()

    report = deliver_due_notifications()

    assert report.retrying == 1
    assert escalation.__class__.objects.filter(pk=escalation.pk).exists()
    email = Notification.objects.get(escalation=escalation, channel=Channel.EMAIL)
    assert email.status == Status.PENDING
    assert email.attempts == 1
    assert email.last_error
    assert email.next_attempt_at > timezone.now()
    # Not due yet: a run before the backoff ends leaves it alone.
    assert deliver_due_notifications().retrying == 0

    smtp_server.start()
    later = email.next_attempt_at + timedelta(seconds=1)
    assert deliver_due_notifications(now=later).sent == 1
    assert deliver_due_notifications(now=later + timedelta(hours=1)).sent == 0
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.attempts == 2
    assert email.last_error == ""
    assert len(smtp_server.messages) == 1


def test_backoff_doubles_and_then_gives_up(smtp_server: LocalSMTPServer, settings) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    smtp_server.stop()
    escalation_raised_with_notice()
    email = Notification.objects.get(channel=Channel.EMAIL)
    waits = []
    now = timezone.now()
    for _ in range(3):
        deliver_due_notifications(now=now)
        email.refresh_from_db()
        waits.append((email.next_attempt_at - timezone.now()).total_seconds())
        now = email.next_attempt_at + timedelta(seconds=1)
    assert email.status == Status.FAILED
    assert email.attempts == 3
    # 60s then 120s (+ up to 10% jitter); the third failure gives up.
    assert 50 < waits[0] < 70
    assert 110 < waits[1] < 135


def test_a_permanent_failure_is_not_retried(fake_notify: FakeNotify, settings) -> None:
    settings.NOTIFY_EMAIL_TEMPLATE_ID = "not-a-template"
    escalation_raised_with_notice()
    report = deliver_due_notifications()
    assert report.failed == 1
    email = Notification.objects.get(channel=Channel.EMAIL)
    assert email.status == Status.FAILED
    assert "Template not found" in email.last_error


def test_email_goes_through_notify_when_settings_say_so(fake_notify: FakeNotify) -> None:
    escalation = escalation_raised_with_notice()
    deliver_due_notifications()
    [sent] = fake_notify.sent
    assert sent["email_address"] == escalation.respondent_person.email
    email = Notification.objects.get(channel=Channel.EMAIL)
    assert sent["reference"] == f"notification:{email.pk}"
    assert email.status == Status.SENT


def test_in_app_notifications_are_delivered_without_sending_anything(
    smtp_server: LocalSMTPServer,
) -> None:
    escalation = EscalationFactory()
    enqueue_notification(
        partnership=escalation.partnership,
        escalation=escalation,
        event="raised",
        event_key="raised:1",
        subject="s",
        body="b",
        recipient=escalation.respondent_person,
        channels=[Channel.IN_APP],
    )
    assert deliver_due_notifications().sent == 1
    assert smtp_server.messages == []


def test_rollback_of_the_event_leaves_no_notification(django_capture_on_commit_callbacks) -> None:
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        escalation_raised_with_notice()
        assert Notification.objects.count() == 2
        raise RuntimeError("the service failed after writing the notification")
    assert Notification.objects.count() == 0
    assert callbacks == []  # and no delivery was enqueued


def test_delivery_is_enqueued_once_when_the_event_commits(
    django_capture_on_commit_callbacks,
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        escalation_raised_with_notice()
        escalation_raised_with_notice()
    assert len(callbacks) == 1
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "escalate.notifications.tasks.deliver_notifications"


def test_a_repeated_event_is_not_enqueued_twice() -> None:
    escalation = EscalationFactory()
    for _ in range(2):
        created = enqueue_notification(
            partnership=escalation.partnership,
            escalation=escalation,
            event="raised",
            event_key="raised:same",
            subject="s",
            body="b",
            email="business@testshire.example.org",
        )
    assert created == 0
    assert Notification.objects.count() == 1  # a mailbox gets email only


def test_the_delivery_task_sends_what_is_due(smtp_server: LocalSMTPServer) -> None:
    from escalate.notifications.tasks import deliver_notifications

    escalation_raised_with_notice()
    result = deliver_notifications.call()
    assert result["sent"] == 2
    assert len(smtp_server.messages) == 1


def test_a_failed_notification_can_be_sent_again(smtp_server: LocalSMTPServer, settings) -> None:
    from escalate.notifications.services import send_again

    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    smtp_server.stop()
    escalation_raised_with_notice()
    deliver_due_notifications()
    email = Notification.objects.get(channel=Channel.EMAIL)
    assert email.status == Status.FAILED
    smtp_server.start()
    assert send_again(ids=[email.pk]) == 1
    assert deliver_due_notifications().sent == 1
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert len(smtp_server.messages) == 1


def test_a_temporary_smtp_refusal_is_retried_and_then_delivered(
    smtp_server: LocalSMTPServer,
) -> None:
    # The 2026 probe: "451 4.3.0 Try again later" marked the notice failed after one attempt.
    escalation = escalation_raised_with_notice()
    smtp_server.refuse_next_recipients("451 4.3.0 Try again later")
    first = deliver_due_notifications()
    email = Notification.objects.get(escalation=escalation, channel=Channel.EMAIL)
    assert first.retrying == 1 and first.failed == 0
    assert email.status == Status.PENDING
    assert "451" in email.last_error
    assert smtp_server.messages == []

    smtp_server.refuse_next_messages("452 4.3.1 Insufficient system storage")
    second = deliver_due_notifications(now=email.next_attempt_at)
    email.refresh_from_db()
    assert second.retrying == 1 and email.status == Status.PENDING and "452" in email.last_error

    third = deliver_due_notifications(now=email.next_attempt_at)  # the server answers 250 now
    email.refresh_from_db()
    assert third.sent == 1
    assert email.status == Status.SENT and email.attempts == 3
    assert len(smtp_server.messages) == 1


def test_a_permanent_smtp_refusal_fails_at_once(smtp_server: LocalSMTPServer) -> None:
    escalation = escalation_raised_with_notice()
    smtp_server.refuse_next_recipients("550 5.1.1 No such mailbox")
    report = deliver_due_notifications()
    email = Notification.objects.get(escalation=escalation, channel=Channel.EMAIL)
    assert report.failed == 1
    assert email.status == Status.FAILED and email.attempts == 1
    assert "550" in email.last_error


def test_a_sigterm_finishes_the_send_in_hand_and_stops_the_batch(
    smtp_server: LocalSMTPServer, monkeypatch
) -> None:
    import os
    import signal

    from escalate.notifications import channels

    for _ in range(5):
        escalation_raised_with_notice()
    passed_on: list[int] = []
    # As under db_worker: its own handler is there before the batch starts.
    previous = signal.signal(signal.SIGTERM, lambda number, frame: passed_on.append(number))
    send = channels.DjangoEmailSender.send

    def send_then_get_stopped(self, message):
        sent = send(self, message)
        if len(smtp_server.messages) == 1:
            os.kill(os.getpid(), signal.SIGTERM)  # the supervisor stops the worker mid-batch
        return sent

    monkeypatch.setattr(channels.DjangoEmailSender, "send", send_then_get_stopped)
    try:
        report = deliver_due_notifications()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert passed_on == [signal.SIGTERM]
    assert len(smtp_server.messages) == 1  # the send in hand finished
    sent = Notification.objects.filter(channel=Channel.EMAIL, status=Status.SENT).count()
    assert sent == 1
    assert Notification.objects.filter(channel=Channel.EMAIL, status=Status.PENDING).count() == 4
    assert report.sent + report.retrying + report.failed < 10
    # The next worker sends the rest.
    assert deliver_due_notifications().sent >= 4
    assert len(smtp_server.messages) == 5


def test_every_try_of_one_notice_has_the_same_message_id(smtp_server: LocalSMTPServer) -> None:
    # A worker killed after the server took the message, before the row was marked sent, sends
    # it again: the copy carries the same Message-ID, so mail systems can recognise it.
    escalation_raised_with_notice()
    deliver_due_notifications()
    email = Notification.objects.get(channel=Channel.EMAIL)
    Notification.objects.filter(pk=email.pk).update(status=Status.PENDING, sent_at=None)
    deliver_due_notifications()
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Message-ID"] == f"<escalate-notification-{email.pk}@escalate.example.org>"


def test_notify_busy_or_broken_is_retried_and_then_delivered(fake_notify: FakeNotify) -> None:
    # Notify answering 429 (rate limit) and then 500 keeps the notice waiting; it is sent once
    # Notify answers again, and its id is kept for the delivery receipt.
    escalation_raised_with_notice()
    email = Notification.objects.get(channel=Channel.EMAIL)
    for status in (429, 500):
        fake_notify.fail_with = status
        report = deliver_due_notifications(now=email.next_attempt_at)
        email.refresh_from_db()
        assert report.retrying == 1 and report.failed == 0, status
        assert email.status == Status.PENDING and str(status) in email.last_error
    fake_notify.fail_with = None
    assert deliver_due_notifications(now=email.next_attempt_at).sent == 1
    email.refresh_from_db()
    [sent] = fake_notify.sent
    assert (email.status, email.attempts, email.provider_id) == (Status.SENT, 3, sent["id"])


@pytest.mark.parametrize(
    ("words", "names_them"),
    [
        ("Planning meeting moved; please sleep on it.", False),  # "ann", "lee" inside words
        ("Ann is not at school today.", True),
        ("Spoke to ann's mother.", True),
        ("ANN LEE", True),
        ("Ref LCS-1 was closed", True),
        ("Annual review", False),
    ],
)
def test_a_word_of_the_childs_name_counts_only_as_a_whole_word(
    words: str, names_them: bool
) -> None:
    escalation = EscalationFactory.build(
        subject_name="Ann Lee", subject_date_of_birth=None, case_references="LCS-1"
    )
    assert mentions_subject_identifiers(words, escalation) is names_them
