"""Directory changes made in the administration pages are audited: who, what, old and new."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.audit.services import REDACTED
from escalate.directory.models import Agency, EscalationContact, Level, Person, Role
from escalate.directory.tests.factories import (
    AgencyFactory,
    EscalationContactFactory,
    PersonFactory,
)
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "an-admin-chosen-passphrase-for-testing-2026"


@pytest.fixture
def admin() -> Person:
    person: Person = PersonFactory(is_staff=True, roles=[Role.ADMINISTRATOR])
    return person


def client_for(person: Person) -> Client:
    client = Client(REMOTE_ADDR="192.0.2.44")
    sign_in(client, person)
    return client


def person_form(
    person: Person, roles: list[tuple[int | None, str]], **changes: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": person.email,
        "full_name": person.full_name,
        "job_title": person.job_title,
        "phone": person.phone,
        "partnership": person.partnership_id,
        "agency": person.agency_id,
        "line_manager": person.line_manager_id or "",
        "level": person.level,
        "is_active": "on" if person.is_active else "",
        "is_staff": "on" if person.is_staff else "",
        "role_assignments-TOTAL_FORMS": len(roles),
        "role_assignments-INITIAL_FORMS": sum(1 for pk, _ in roles if pk is not None),
        "role_assignments-MIN_NUM_FORMS": 0,
        "role_assignments-MAX_NUM_FORMS": 1000,
    }
    for index, (pk, role) in enumerate(roles):
        data[f"role_assignments-{index}-id"] = pk or ""
        data[f"role_assignments-{index}-person"] = person.pk
        data[f"role_assignments-{index}-role"] = role
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def text_of(row: AuditEvent) -> str:
    return json.dumps([row.old_values, row.new_values, row.reason], default=str)


def test_changing_a_person_records_old_and_new_values_and_their_roles(admin: Person) -> None:
    colleague = PersonFactory(agency=admin.agency, job_title="Teacher")
    response = client_for(admin).post(
        f"/admin/directory/person/{colleague.pk}/change/",
        person_form(
            colleague,
            [(None, Role.IRO)],
            job_title="Head of Year",
            full_name="Renamed Person",
            level=Level.LINE_MANAGER,
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    row = AuditEvent.objects.get(action="directory_person_changed")
    assert row.actor == admin
    assert row.partnership_id == admin.partnership_id
    assert row.object_id == str(colleague.pk)
    assert row.ip_address == "192.0.2.44"
    assert (row.old_values["job_title"], row.new_values["job_title"]) == (
        "Teacher",
        "Head of Year",
    )
    assert (row.old_values["level"], row.new_values["level"]) == (1, 2)
    assert row.new_values["full_name"] == REDACTED
    role_id = colleague.role_assignments.get().pk
    assert (
        row.old_values[f"roleassignment[{role_id}].role"],
        row.new_values[f"roleassignment[{role_id}].role"],
    ) == (None, "iro")
    assert "Changed" in row.reason


def test_removing_a_role_records_what_it_was(admin: Person) -> None:
    colleague = PersonFactory(agency=admin.agency, roles=[Role.AUDITOR])
    role = colleague.role_assignments.get()
    data = person_form(colleague, [(role.pk, Role.AUDITOR)])
    data["role_assignments-0-DELETE"] = "on"
    response = client_for(admin).post(f"/admin/directory/person/{colleague.pk}/change/", data)
    assert response.status_code == 302
    row = AuditEvent.objects.get(action="directory_person_changed")
    assert (
        row.old_values[f"roleassignment[{role.pk}].role"],
        row.new_values[f"roleassignment[{role.pk}].role"],
    ) == ("auditor", None)


def test_adding_a_person_never_records_the_password(admin: Person) -> None:
    response = client_for(admin).post(
        "/admin/directory/person/add/",
        {
            "email": "new.person@testshire.example.org",
            "full_name": "New Person",
            "partnership": admin.partnership_id,
            "agency": admin.agency_id,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "role_assignments-TOTAL_FORMS": 0,
            "role_assignments-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    added = Person.objects.get(email="new.person@testshire.example.org")
    row = AuditEvent.objects.get(action="directory_person_added")
    assert row.object_id == str(added.pk)
    assert row.new_values["email"] == "new.person@testshire.example.org"
    assert row.old_values["email"] is None
    assert NEW_PASSWORD not in text_of(row)
    assert added.password not in text_of(row)
    assert not [name for name in row.new_values if "password" in name]


def test_an_admin_setting_a_password_is_audited_without_it(admin: Person) -> None:
    colleague: Person = PersonFactory(agency=admin.agency)
    response = client_for(admin).post(
        f"/admin/directory/person/{colleague.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    row = AuditEvent.objects.get(action="directory_person_changed")
    assert row.object_id == str(colleague.pk)
    assert "password" in row.reason.lower()
    colleague.refresh_from_db()
    assert NEW_PASSWORD not in text_of(row) and colleague.password not in text_of(row)


def test_unticking_active_signs_the_person_out_everywhere(admin: Person) -> None:
    colleague = PersonFactory(agency=admin.agency)
    theirs = Client()
    sign_in(theirs, colleague)
    response = client_for(admin).post(
        f"/admin/directory/person/{colleague.pk}/change/",
        person_form(colleague, [], is_active=""),
    )
    assert response.status_code == 302
    assert not any(
        s.get_decoded().get(SESSION_KEY) == str(colleague.pk) for s in Session.objects.all()
    )
    row = AuditEvent.objects.get(action="directory_person_changed")
    assert (row.old_values["is_active"], row.new_values["is_active"]) == (True, False)
    assert (row.old_values["sessions"], row.new_values["sessions"]) == (1, 0)


def test_the_disable_action_ends_sessions_and_is_audited(admin: Person) -> None:
    colleague = PersonFactory(agency=admin.agency)
    theirs = Client()
    sign_in(theirs, colleague)
    response = client_for(admin).post(
        "/admin/directory/person/",
        {"action": "disable_and_sign_out", "_selected_action": [colleague.pk]},
    )
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert theirs.get("/")["Location"].startswith("/sign-in/")
    row = AuditEvent.objects.get(action="person_deactivated")
    assert row.actor == admin and row.ip_address == "192.0.2.44"


def test_an_agency_and_its_contacts_are_audited(admin: Person) -> None:
    agency: Agency = admin.agency  # type: ignore[assignment]
    contact = EscalationContactFactory(agency=agency, email="old@testshire.example.org")
    data = {
        "partnership": agency.partnership_id,
        "name": agency.name,
        "agency_type": agency.agency_type,
        "email": "front.door@testshire.example.org",
        "is_active": "on",
        "contacts-TOTAL_FORMS": 2,
        "contacts-INITIAL_FORMS": 1,
        "contacts-MIN_NUM_FORMS": 0,
        "contacts-MAX_NUM_FORMS": 1000,
        "contacts-0-id": contact.pk,
        "contacts-0-agency": agency.pk,
        "contacts-0-level": contact.level,
        "contacts-0-name": contact.name,
        "contacts-0-email": "new@testshire.example.org",
        "contacts-1-agency": agency.pk,
        "contacts-1-level": Level.SENIOR_MANAGER,
        "contacts-1-name": "Senior Contact",
        "contacts-1-email": "senior@testshire.example.org",
    }
    response = client_for(admin).post(f"/admin/directory/agency/{agency.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"]
    row = AuditEvent.objects.get(action="directory_agency_changed")
    assert row.new_values["email"] == "front.door@testshire.example.org"
    assert (
        row.old_values[f"escalationcontact[{contact.pk}].email"],
        row.new_values[f"escalationcontact[{contact.pk}].email"],
    ) == ("old@testshire.example.org", "new@testshire.example.org")
    added = EscalationContact.objects.get(email="senior@testshire.example.org")
    assert row.new_values[f"escalationcontact[{added.pk}].email"] == added.email
    assert row.new_values[f"escalationcontact[{added.pk}].name"] == REDACTED


def test_a_superuser_deleting_an_agency_is_audited_with_its_last_values() -> None:
    superuser = PersonFactory(is_staff=True, is_superuser=True)
    agency = AgencyFactory(partnership=superuser.partnership, email="gone@testshire.example.org")
    response = client_for(superuser).post(
        f"/admin/directory/agency/{agency.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Agency.objects.filter(pk=agency.pk).exists()
    row = AuditEvent.objects.get(action="directory_agency_deleted")
    assert row.object_id == str(agency.pk)
    assert row.partnership_id == superuser.partnership_id
    assert (row.old_values["email"], row.new_values["email"]) == (
        "gone@testshire.example.org",
        None,
    )
