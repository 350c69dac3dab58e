"""Starting a partnership, invitations, password resets and authenticator resets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from time_machine import travel

from escalate.accounts import services
from escalate.accounts.models import AccountLink, LinkPurpose
from escalate.audit.models import AuditEvent
from escalate.directory.models import AgencyType, Partnership, Person, Role
from escalate.directory.tests.factories import PersonFactory
from escalate.notifications.delivery import deliver_due_notifications
from escalate.notifications.models import Channel, Notification

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/account/set-password/([A-Za-z0-9_-]+)/")


def _start(**overrides: str) -> tuple[Partnership, Person]:
    fields = {
        "name": "Riverside Safeguarding Children Partnership",
        "nation": "england",
        "covers": "children",
        "reference_prefix": "RIV",
        "manager_name": "Bea Manager",
        "manager_email": "Bea.Manager@riverside.example.org",
        **overrides,
    }
    return services.create_partnership(by=None, **fields)


def _token_from_outbox(person: Person) -> str:
    body = Notification.objects.filter(recipient=person).latest("pk").body
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_a_partnership_starts_with_its_business_unit_and_an_invited_business_manager() -> None:
    partnership, manager = _start()
    assert partnership.reference_prefix == "RIV"
    assert manager.email == "bea.manager@riverside.example.org"
    assert manager.agency is not None and manager.agency.agency_type == AgencyType.PARTNERSHIP
    assert manager.has_role(Role.BUSINESS_MANAGER)
    assert not manager.has_usable_password()
    invitation = Notification.objects.get(recipient=manager)
    assert invitation.channel == Channel.EMAIL and invitation.event == "account_invited"
    assert AuditEvent.objects.filter(action="partnership_created", partnership=partnership).exists()
    deliver_due_notifications()
    assert mail.outbox[0].to == ["bea.manager@riverside.example.org"]
    assert LINK.search(mail.outbox[0].body)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"reference_prefix": "TAKEN"}, "reference_prefix"),
        ({"name": "Taken Partnership"}, "name"),
        ({"manager_email": "taken@example.org"}, "manager_email"),
        ({"manager_email": "not-an-email"}, "manager_email"),
    ],
)
def test_starting_a_partnership_is_refused_naming_the_field(
    override: dict[str, str], field: str
) -> None:
    _start(
        name="Taken Partnership",
        reference_prefix="TAKEN",
        manager_email="taken@example.org",
    )
    with pytest.raises(services.AccountRefused) as refused:
        _start(**override)
    assert refused.value.field == field


def test_only_a_platform_administrator_starts_a_partnership() -> None:
    manager = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    with pytest.raises(services.AccountRefused):
        services.create_partnership(
            by=manager,
            name="Other",
            nation="england",
            covers="children",
            reference_prefix="OTH",
            manager_name="X",
            manager_email="x@example.org",
        )


def test_an_invitation_link_sets_the_password_once() -> None:
    _, manager = _start()
    token = _token_from_outbox(manager)
    services.set_password_from_link(token=token, password="a-long-new-passphrase-2026")
    manager.refresh_from_db()
    assert manager.check_password("a-long-new-passphrase-2026")
    assert AuditEvent.objects.filter(action="password_set_from_invitation").exists()
    with pytest.raises(services.AccountRefused):
        services.set_password_from_link(token=token, password="another-passphrase-2026!")


def test_an_invitation_expires_after_seven_days() -> None:
    _, manager = _start()
    token = _token_from_outbox(manager)
    with travel(services.timezone.now() + timedelta(days=7, minutes=1)):
        assert services.usable_link(token) is None


def test_a_password_reset_is_sent_only_to_an_active_person_and_says_nothing_otherwise() -> None:
    person = PersonFactory(email="amy@testshire.example.org")
    services.request_password_reset(email="nobody@testshire.example.org")
    assert not AccountLink.objects.exists()
    services.request_password_reset(email="AMY@testshire.example.org")
    link = AccountLink.objects.get()
    assert link.purpose == LinkPurpose.PASSWORD_RESET and link.person == person
    assert AuditEvent.objects.filter(action="password_reset_requested", actor=person).exists()
    person.is_active = False
    person.save()
    services.request_password_reset(email="amy@testshire.example.org")
    assert AccountLink.objects.count() == 1


def test_reset_links_expire_after_two_hours_and_are_rate_limited() -> None:
    person = PersonFactory()
    for _ in range(5):
        services.request_password_reset(email=person.email)
    assert AccountLink.objects.filter(person=person).count() == services.RESETS_PER_HOUR
    token = _token_from_outbox(person)
    with travel(services.timezone.now() + timedelta(hours=2, minutes=1)):
        assert services.usable_link(token) is None


def test_using_a_reset_link_ends_every_session_and_every_other_link(client: Client) -> None:
    person = PersonFactory()
    client.force_login(person)
    services.request_password_reset(email=person.email)
    first = _token_from_outbox(person)
    services.request_password_reset(email=person.email)
    second = _token_from_outbox(person)
    services.set_password_from_link(token=second, password="a-long-new-passphrase-2026")
    assert services.usable_link(first) is None
    assert SESSION_KEY not in client.session


def test_a_business_manager_resets_an_authenticator_audited_and_the_person_is_told() -> None:
    manager = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    person = PersonFactory(agency=manager.agency)
    TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    removed = services.reset_authenticator(person=person, by=manager, reason="Lost phone")
    assert removed == 1 and not TOTPDevice.objects.filter(user=person).exists()
    event = AuditEvent.objects.get(action="authenticator_reset")
    assert event.actor == manager and event.reason == "Lost phone"
    told = Notification.objects.filter(recipient=person, event="authenticator_reset")
    assert {row.channel for row in told} == {Channel.EMAIL, Channel.IN_APP}


def test_an_authenticator_of_another_partnership_cannot_be_reset() -> None:
    manager = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    stranger = PersonFactory()
    TOTPDevice.objects.create(user=stranger, name="Phone", confirmed=True)
    with pytest.raises(ValueError):
        services.reset_authenticator(person=stranger, by=manager, reason="Lost phone")
    assert TOTPDevice.objects.filter(user=stranger).exists()
    practitioner = PersonFactory(agency=manager.agency)
    with pytest.raises(ValueError):
        services.reset_authenticator(person=manager, by=practitioner, reason="Lost phone")
