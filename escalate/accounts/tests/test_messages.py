"""The emails about a person's own account: each sent with its own words and template key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from time_machine import travel

from escalate.accounts import services
from escalate.directory.models import Role
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.messages import fill
from escalate.notifications.channels import NotifySender
from escalate.notifications.delivery import deliver_due_notifications, outgoing_email
from escalate.notifications.models import Channel, Notification

pytestmark = pytest.mark.django_db

OWN_TEMPLATES = {
    "account_invited": "7d1a8a52-1b7e-4c1e-9b0e-0a0000000001",
    "password_reset": "7d1a8a52-1b7e-4c1e-9b0e-0a0000000002",
    "authenticator_reset": "7d1a8a52-1b7e-4c1e-9b0e-0a0000000003",
}


def _sent_with(row: Notification) -> tuple[str, dict[str, str]]:
    sender = NotifySender(
        api_key="key", template_id="generic", base_url="", template_ids=OWN_TEMPLATES
    )
    return sender.template_for(outgoing_email(row))


def _email_of(event: str) -> Notification:
    return Notification.objects.get(event=event, channel=Channel.EMAIL)


@travel(datetime(2026, 12, 1, 9, 30, tzinfo=UTC), tick=False)
def test_an_invitation_says_who_gave_the_account_what_to_do_and_by_when() -> None:
    manager = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    person = PersonFactory(agency=manager.agency, full_name="Ola Newcomer")
    services.invite_person(person=person, by=manager)
    row = _email_of("account_invited")
    assert row.template_key == "account_invited"
    assert row.subject == "Set up your Escalate account by 8 December 2026, 9:30am"
    assert row.body.startswith("Hello Ola Newcomer,")
    assert f"{manager.partnership.name} has given you an account on Escalate" in row.body
    assert "set your password by 8 December 2026, 9:30am with this link" in row.body
    assert "/account/set-password/" in row.personalisation["link"]
    assert "authenticator app" in row.body
    assert _sent_with(row) == (OWN_TEMPLATES["account_invited"], row.personalisation)


@travel(datetime(2026, 12, 1, 14, 0, tzinfo=UTC), tick=False)
def test_a_password_reset_says_it_expires_in_two_hours_and_what_if_it_was_not_you() -> None:
    person = PersonFactory(full_name="Rae Forgetful")
    services.request_password_reset(email=person.email)
    row = _email_of("password_reset")
    assert row.template_key == "password_reset"
    assert row.subject == "Reset your Escalate password by 1 December 2026, 4pm"
    assert "use this link by 1 December 2026, 4pm. It works once:" in row.body
    assert "ask for a new one from the sign-in page" in row.body
    assert "your password has not changed" in row.body
    assert _sent_with(row) == (OWN_TEMPLATES["password_reset"], row.personalisation)


@travel(datetime(2026, 12, 1, 11, 5, tzinfo=UTC), tick=False)
def test_an_authenticator_reset_says_who_did_it_and_whom_to_tell() -> None:
    manager = PersonFactory(roles=[Role.BUSINESS_MANAGER], full_name="Bea Manager")
    person = PersonFactory(agency=manager.agency)
    TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    services.reset_authenticator(person=person, by=manager, reason="Lost phone")
    row = _email_of("authenticator_reset")
    assert row.template_key == "authenticator_reset"
    assert row.subject == "Your Escalate authenticator app was reset"
    assert (
        "Bea Manager reset the authenticator app of your Escalate account on "
        "1 December 2026, 11:05am" in row.body
    )
    assert f"tell {manager.partnership.name}'s business unit today" in row.body
    assert _sent_with(row) == (OWN_TEMPLATES["authenticator_reset"], row.personalisation)


def test_each_account_email_is_sent_by_plain_email_in_its_own_template_words() -> None:
    from escalate.accounts.messages import ACCOUNT_TEMPLATES

    manager = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    person = PersonFactory(agency=manager.agency)
    services.invite_person(person=person, by=manager)
    services.request_password_reset(email=person.email)
    TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    services.reset_authenticator(person=person, by=manager, reason="Lost phone")
    deliver_due_notifications()
    sent = {message.subject: message.body for message in mail.outbox}
    for key, template in ACCOUNT_TEMPLATES.items():
        row = _email_of(key)
        # The plain email is its template filled in: no generic wrapper, no link added.
        assert sent[row.subject] == fill(template, row.personalisation)
    assert len({row.body for row in Notification.objects.filter(channel=Channel.EMAIL)}) == 3
