"""Disabling a person ends every session they have at once, and is audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person, Role
from escalate.directory.services import DirectoryRefused, deactivate_person, end_sessions
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db


def sessions_of(person: Person) -> int:
    return sum(
        1 for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(person.pk)
    )


def signed_in_clients(person: Person, count: int) -> list[Client]:
    clients = [Client() for _ in range(count)]
    for client in clients:
        sign_in(client, person)
    return clients


def administrator_of(person: Person) -> Person:
    admin: Person = PersonFactory(agency=person.agency, is_staff=True, roles=[Role.ADMINISTRATOR])
    return admin


def test_disabling_deletes_every_session_of_the_person_and_only_theirs() -> None:
    person = PersonFactory()
    colleague = PersonFactory(agency=person.agency)
    phone, laptop = signed_in_clients(person, 2)
    (theirs,) = signed_in_clients(colleague, 1)
    admin = administrator_of(person)
    assert sessions_of(person) == 2

    ended = deactivate_person(person=person, by=admin, reason="Left the agency")

    assert ended == 2
    assert sessions_of(person) == 0
    assert sessions_of(colleague) == 1
    person.refresh_from_db()
    assert not person.is_active
    for client in (phone, laptop):
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert theirs.get("/").status_code == 200


def test_disabling_is_audited_with_the_sessions_ended_and_the_reason() -> None:
    person = PersonFactory()
    signed_in_clients(person, 1)
    admin = administrator_of(person)
    deactivate_person(person=person, by=admin, reason="Left the agency")
    row = AuditEvent.objects.get(action="person_deactivated")
    assert row.actor == admin
    assert row.partnership_id == person.partnership_id
    assert row.object_id == str(person.pk)
    assert (row.old_values["is_active"], row.new_values["is_active"]) == (True, False)
    assert (row.old_values["sessions"], row.new_values["sessions"]) == (1, 0)
    assert row.reason == "Left the agency"


@pytest.mark.parametrize("who", ["self", "other partnership", "not an administrator", "no reason"])
def test_a_refused_disable_changes_nothing(who: str) -> None:
    person = PersonFactory()
    signed_in_clients(person, 1)
    reason = "Left"
    if who == "self":
        by = person
    elif who == "other partnership":
        by = PersonFactory(
            agency=AgencyFactory(partnership=PartnershipFactory()),
            is_staff=True,
            roles=[Role.ADMINISTRATOR],
        )
    elif who == "not an administrator":
        by = PersonFactory(agency=person.agency)
    else:
        by, reason = administrator_of(person), "  "
    with pytest.raises(DirectoryRefused):
        deactivate_person(person=person, by=by, reason=reason)
    person.refresh_from_db()
    assert person.is_active
    assert sessions_of(person) == 1
    assert not AuditEvent.objects.filter(action="person_deactivated").exists()


def test_ending_sessions_leaves_expired_and_anonymous_sessions_alone() -> None:
    person = PersonFactory()
    anonymous = Client()
    anonymous.get("/sign-in/")
    anonymous.session.save()
    count = Session.objects.count()
    signed_in_clients(person, 1)
    assert end_sessions(person=person) == 1
    assert Session.objects.count() == count


def test_disabling_revokes_api_tokens_and_reactivating_does_not_revive_them() -> None:
    from escalate.api.models import ApiToken
    from escalate.api.services import create_token, token_for
    from escalate.directory.services import reactivate_person

    person = PersonFactory()
    secret = str(create_token(by=person, name="Scripts", scopes=["escalations:read"]).secret)
    manager: Person = PersonFactory(agency=person.agency, roles=[Role.BUSINESS_MANAGER])
    deactivate_person(person=person, by=manager, reason="Left")
    reactivate_person(person=person, by=manager, reason="Came back")
    person.refresh_from_db()
    assert person.is_active
    assert token_for(secret) is None
    assert ApiToken.objects.get(person=person).revoked_at is not None
    actions = list(
        AuditEvent.objects.filter(object_id=str(person.pk)).values_list("action", flat=True)
    )
    assert "person_deactivated" in actions and "person_reactivated" in actions


def test_disabling_revokes_the_calendar_address_and_open_links_for_good() -> None:
    from escalate.accounts.models import AccountLink
    from escalate.accounts.services import invite_person, request_password_reset, usable_link
    from escalate.directory.services import reactivate_person
    from escalate.notifications.selectors import calendar_token_owner
    from escalate.notifications.services import create_calendar_token

    person = PersonFactory()
    manager: Person = PersonFactory(agency=person.agency, roles=[Role.BUSINESS_MANAGER])
    calendar = create_calendar_token(person=person).secret
    invite_person(person=person, by=manager)
    request_password_reset(email=person.email)
    hashes = list(AccountLink.objects.filter(person=person).values_list("token_hash", flat=True))
    assert len(hashes) == 2 and calendar_token_owner(calendar) == person

    deactivate_person(person=person, by=manager, reason="Left")
    reactivate_person(person=person, by=manager, reason="Came back")

    assert calendar_token_owner(calendar) is None
    assert not AccountLink.objects.filter(person=person, used_at__isnull=True).exists()
    row = AuditEvent.objects.get(action="person_deactivated")
    assert (row.old_values["calendar_feeds"], row.new_values["calendar_feeds"]) == (1, 0)
    assert (row.old_values["account_links"], row.new_values["account_links"]) == (2, 0)
    # A new invitation works again.
    link = invite_person(person=person, by=manager)
    assert link.is_usable and usable_link("not-the-token") is None


def test_reactivating_someone_of_another_partnership_is_refused() -> None:
    from escalate.directory.services import reactivate_person

    person = PersonFactory(is_active=False)
    stranger: Person = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    with pytest.raises(DirectoryRefused):
        reactivate_person(person=person, by=stranger, reason="Because")
    person.refresh_from_db()
    assert not person.is_active
