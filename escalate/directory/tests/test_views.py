"""The business unit's directory pages and the practitioners' contacts page."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.directory.models import Agency, EscalationContact, Level, Person, Role
from escalate.directory.services import deactivate_person
from escalate.directory.tests.factories import (
    AgencyFactory,
    EscalationContactFactory,
    PersonFactory,
)
from escalate.notifications.models import Notification

pytestmark = pytest.mark.django_db


def business_manager() -> Person:
    manager: Person = PersonFactory(roles=[Role.BUSINESS_MANAGER], level=3)
    return manager


def signed_in(client: Client, person: Person) -> Client:
    client.force_login(person)
    return client


def person_body(agency: Agency, **overrides: object) -> dict[str, object]:
    return {
        "full_name": "Nia Newcomer",
        "email": "nia.newcomer@testshire.example.org",
        "job_title": "School nurse",
        "agency": agency.pk,
        "level": 1,
        "roles": [Role.DESIGNATED_SAFEGUARDING_LEAD],
        **overrides,
    }


def test_a_business_manager_adds_a_person_who_is_invited_and_audited(client: Client) -> None:
    manager = business_manager()
    assert manager.agency is not None
    response = signed_in(client, manager).post(
        "/directory/people/new/", person_body(manager.agency, line_manager=manager.pk)
    )
    added = Person.objects.get(email="nia.newcomer@testshire.example.org")
    assert response.status_code == 302 and response["Location"] == f"/directory/people/{added.pk}/"
    assert added.partnership == manager.partnership and added.line_manager == manager
    assert added.has_role(Role.DESIGNATED_SAFEGUARDING_LEAD)
    assert not added.has_usable_password()
    assert Notification.objects.filter(recipient=added, event="account_invited").exists()
    assert AuditEvent.objects.filter(action="person_added", actor=manager).exists()


def test_a_circular_management_line_is_refused_on_the_page(client: Client) -> None:
    manager = business_manager()
    assert manager.agency is not None
    report: Person = PersonFactory(agency=manager.agency, line_manager=manager)
    body = person_body(
        manager.agency,
        full_name=manager.full_name,
        email=manager.email,
        line_manager=report.pk,
        roles=[Role.BUSINESS_MANAGER],
    )
    response = signed_in(client, manager).post(f"/directory/people/{manager.pk}/", body)
    assert response.status_code == 200
    assert b"circular line" in response.content
    manager.refresh_from_db()
    assert manager.line_manager is None


def test_bad_input_is_explained_and_kept(client: Client) -> None:
    manager = business_manager()
    response = signed_in(client, manager).post(
        "/directory/people/new/",
        {"full_name": "Typed Name", "email": "not-an-email", "agency": "999999", "level": "9"},
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Typed Name" in text and "Enter an email address in the correct format" in text
    assert "Select the agency" in text
    assert not Person.objects.filter(full_name="Typed Name").exists()


def test_another_partnerships_agency_cannot_be_chosen(client: Client) -> None:
    manager = business_manager()
    elsewhere = AgencyFactory()
    response = signed_in(client, manager).post("/directory/people/new/", person_body(elsewhere))
    assert response.status_code == 200 and b"Select the agency" in response.content


def test_deactivating_from_the_page_ends_sessions_and_reactivating_restores(
    client: Client,
) -> None:
    manager = business_manager()
    person: Person = PersonFactory(agency=manager.agency)
    theirs = Client()
    theirs.force_login(person)
    signed_in(client, manager)
    missing = client.post(f"/directory/people/{person.pk}/deactivate/", {"reason": ""})
    assert missing.status_code == 200 and b"Say why" in missing.content
    done = client.post(f"/directory/people/{person.pk}/deactivate/", {"reason": "Left"})
    assert done.status_code == 302
    person.refresh_from_db()
    assert not person.is_active and SESSION_KEY not in theirs.session
    client.post(f"/directory/people/{person.pk}/reactivate/", {"reason": "Back"})
    person.refresh_from_db()
    assert person.is_active


def test_agencies_and_contacts_are_managed_and_audited(client: Client) -> None:
    manager = business_manager()
    signed_in(client, manager)
    client.post(
        "/directory/agencies/new/",
        {"name": "Hillside Academy", "agency_type": "school", "is_active": "on"},
    )
    agency = Agency.objects.get(name="Hillside Academy")
    assert agency.partnership == manager.partnership
    duplicate = client.post(
        "/directory/agencies/new/", {"name": "hillside academy", "agency_type": "school"}
    )
    assert b"Another agency of the partnership has this name" in duplicate.content
    client.post(
        f"/directory/agencies/{agency.pk}/contacts/new/",
        {"level": 2, "service": "Primary", "name": "Deputy head", "email": "dh@hill.example.org"},
    )
    contact = EscalationContact.objects.get(agency=agency)
    assert contact.level == Level.LINE_MANAGER
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"agency_added", "contact_added"} <= actions
    client.post(f"/directory/agencies/{agency.pk}/contacts/{contact.pk}/", {"remove": "1"})
    assert not EscalationContact.objects.filter(agency=agency).exists()


def test_practitioners_see_level_2_and_3_contacts_of_their_partnership_only(
    client: Client,
) -> None:
    practitioner: Person = PersonFactory()
    assert practitioner.agency is not None
    EscalationContactFactory(agency=practitioner.agency, level=2, name="Level Two Lead")
    EscalationContactFactory(agency=practitioner.agency, level=3, name="Level Three Lead")
    EscalationContactFactory(agency=practitioner.agency, level=4, name="Strategic Lead")
    EscalationContactFactory(name="Elsewhere Lead")
    text = signed_in(client, practitioner).get("/directory/contacts/").content.decode()
    assert "Level Two Lead" in text and "Level Three Lead" in text
    assert "Strategic Lead" not in text and "Elsewhere Lead" not in text


def test_a_contact_who_was_deactivated_is_not_offered_to_practitioners(client: Client) -> None:
    practitioner: Person = PersonFactory()
    assert practitioner.agency is not None
    left: Person = PersonFactory(agency=practitioner.agency, full_name="Left Lead", level=2)
    EscalationContactFactory(agency=practitioner.agency, level=2, name="Left Lead", person=left)
    EscalationContactFactory(agency=practitioner.agency, level=2, name="Mailbox Lead")
    manager: Person = PersonFactory(
        agency=practitioner.agency, roles=[Role.BUSINESS_MANAGER], level=3
    )
    deactivate_person(person=left, by=manager, reason="Left the agency")
    text = signed_in(client, practitioner).get("/directory/contacts/").content.decode()
    assert "Mailbox Lead" in text and "Left Lead" not in text
    # The business unit still sees it on the agency's page, marked, to change or remove it.
    page = signed_in(client, manager).get(f"/directory/agencies/{practitioner.agency.pk}/")
    assert "Left Lead" in page.content.decode() and "Deactivated" in page.content.decode()


def test_practitioners_cannot_manage_and_strangers_get_404(client: Client) -> None:
    practitioner: Person = PersonFactory()
    signed_in(client, practitioner)
    assert client.get("/directory/").status_code == 403
    assert client.get("/directory/people/").status_code == 403
    manager = business_manager()
    signed_in(client, manager)
    assert client.get(f"/directory/people/{practitioner.pk}/").status_code == 404
    assert (
        client.post(f"/directory/people/{practitioner.pk}/deactivate/", {"reason": "x"}).status_code
        == 404
    )
    practitioner.refresh_from_db()
    assert practitioner.is_active


def test_a_business_manager_cannot_take_away_their_own_role(client: Client) -> None:
    manager = business_manager()
    assert manager.agency is not None
    body = person_body(manager.agency, full_name=manager.full_name, email=manager.email, roles=[])
    response = signed_in(client, manager).post(f"/directory/people/{manager.pk}/", body)
    assert b"You cannot take away your own business unit role" in response.content
    manager.refresh_from_db()
    assert manager.has_role(Role.BUSINESS_MANAGER)
