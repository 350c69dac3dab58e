"""The senders: SMTP through a real local server, GOV.UK Notify through a local fake of its API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from escalate.notifications.channels import (
    DeliveryFailed,
    DjangoEmailSender,
    InAppSender,
    NotifySender,
    OutgoingEmail,
    email_sender,
    sender_for,
)
from escalate.notifications.tests.fake_notify import FakeNotify
from escalate.notifications.tests.smtp_server import LocalSMTPServer

MESSAGE = OutgoingEmail(
    to="respondent@agency.example.org",
    subject="RIV-2026-0001: a rationale has been asked for",
    body="Please give your rationale: http://127.0.0.1:8000/escalations/RIV-2026-0001/",
    reference="notification:1",
)


def test_email_reaches_a_real_smtp_server(smtp_server: LocalSMTPServer) -> None:
    DjangoEmailSender().send(MESSAGE)
    [received] = smtp_server.messages
    assert received["To"] == MESSAGE.to
    assert received["Subject"] == MESSAGE.subject
    assert received["X-Escalate-Reference"] == "notification:1"
    assert "Please give your rationale" in received.get_payload()


def test_mail_server_down_is_a_failure_worth_retrying(smtp_server: LocalSMTPServer) -> None:
    smtp_server.stop()
    with pytest.raises(DeliveryFailed) as failure:
        DjangoEmailSender().send(MESSAGE)
    assert not failure.value.permanent
    smtp_server.start()
    DjangoEmailSender().send(MESSAGE)
    assert len(smtp_server.messages) == 1


def test_notify_sends_through_the_template_with_subject_and_body(fake_notify: FakeNotify) -> None:
    provider_id = email_sender().send(MESSAGE)
    [sent] = fake_notify.sent
    assert sent["id"] == provider_id
    assert sent["email_address"] == MESSAGE.to
    assert sent["template_id"] == fake_notify.template_id
    assert sent["personalisation"] == {"subject": MESSAGE.subject, "body": MESSAGE.body}
    assert sent["reference"] == "notification:1"


def test_notify_sends_a_message_with_its_own_template_and_personalisation(
    fake_notify: FakeNotify, settings
) -> None:
    own = "b8a1c7de-0c5e-4d7a-9a43-4f7f3f1d2e01"
    fake_notify.templates[own] = ["subject", "what", "ask", "link"]
    settings.NOTIFY_TEMPLATE_IDS = {"raised.respondent": own}
    fields = {"subject": "S", "what": "W", "ask": "A", "link": "https://x.example.org/"}
    message = OutgoingEmail(
        to=MESSAGE.to,
        subject="S",
        body="W A",
        reference="notification:2",
        template_key="raised.respondent",
        personalisation=fields,
    )
    email_sender().send(message)
    # A key with no template of its own goes through the generic one.
    email_sender().send(OutgoingEmail(**{**message.__dict__, "template_key": "raised.others"}))
    mine, generic = fake_notify.sent
    assert mine["template_id"] == own
    assert mine["personalisation"] == fields
    assert generic["template_id"] == fake_notify.template_id
    assert generic["personalisation"] == {"subject": "S", "body": "W A"}


def test_notify_outage_is_worth_retrying(fake_notify: FakeNotify) -> None:
    fake_notify.fail_with = 503
    with pytest.raises(DeliveryFailed) as failure:
        email_sender().send(MESSAGE)
    assert not failure.value.permanent
    assert "503" in str(failure.value)


def test_notify_rate_limit_is_worth_retrying(fake_notify: FakeNotify) -> None:
    fake_notify.fail_with = 429
    with pytest.raises(DeliveryFailed) as failure:
        email_sender().send(MESSAGE)
    assert not failure.value.permanent


def test_notify_rejecting_the_template_is_permanent(fake_notify: FakeNotify) -> None:
    sender = NotifySender(
        api_key=fake_notify.api_key, template_id="not-a-template", base_url=fake_notify.base_url
    )
    with pytest.raises(DeliveryFailed) as failure:
        sender.send(MESSAGE)
    assert failure.value.permanent
    assert "Template not found" in str(failure.value)
    assert fake_notify.sent == []


def test_notify_rejects_a_key_signed_with_another_secret(fake_notify: FakeNotify) -> None:
    wrong_key = fake_notify.api_key[:-36] + "00000000-0000-0000-0000-000000000000"
    sender = NotifySender(
        api_key=wrong_key, template_id=fake_notify.template_id, base_url=fake_notify.base_url
    )
    with pytest.raises(DeliveryFailed) as failure:
        sender.send(MESSAGE)
    assert failure.value.permanent
    assert "403" in str(failure.value)


def test_notify_unreachable_is_worth_retrying(fake_notify: FakeNotify) -> None:
    base_url = fake_notify.base_url
    fake_notify.stop()
    sender = NotifySender(
        api_key=fake_notify.api_key, template_id=fake_notify.template_id, base_url=base_url
    )
    with pytest.raises(DeliveryFailed) as failure:
        sender.send(MESSAGE)
    assert not failure.value.permanent


def test_notify_without_a_template_is_a_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured):
        NotifySender(api_key="key", template_id="", base_url="http://127.0.0.1:9")


def test_settings_choose_the_email_provider(settings) -> None:
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "django"
    assert isinstance(sender_for("email"), DjangoEmailSender)
    assert isinstance(sender_for("in_app"), InAppSender)
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "pigeon"
    with pytest.raises(ImproperlyConfigured):
        sender_for("email")
