from __future__ import annotations

import pytest
from django.test import Client

from escalate.directory.models import Role
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_partnerships():  # type: ignore[no-untyped-def]
    ours = PartnershipFactory()
    theirs = PartnershipFactory()
    admin = PersonFactory(
        agency=AgencyFactory(partnership=ours), is_staff=True, roles=[Role.ADMINISTRATOR]
    )
    colleague = PersonFactory(agency=admin.agency, full_name="Colleague In Ours")
    stranger = PersonFactory(
        agency=AgencyFactory(partnership=theirs, name="Their Agency"),
        full_name="Stranger In Theirs",
    )
    return admin, colleague, stranger


def _client_for(person) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(person)
    return client


def test_partnership_admin_lists_only_their_own_people(two_partnerships) -> None:  # type: ignore[no-untyped-def]
    admin, colleague, stranger = two_partnerships
    response = _client_for(admin).get("/admin/directory/person/")
    assert response.status_code == 200
    assert colleague.email in response.content.decode()
    assert stranger.email not in response.content.decode()


def test_partnership_admin_cannot_open_another_partnerships_person(two_partnerships) -> None:  # type: ignore[no-untyped-def]
    admin, _, stranger = two_partnerships
    response = _client_for(admin).get(f"/admin/directory/person/{stranger.pk}/change/", follow=True)
    assert stranger.full_name not in response.content.decode()
    assert stranger.email not in response.content.decode()


def test_partnership_admin_cannot_change_another_partnerships_person(two_partnerships) -> None:  # type: ignore[no-untyped-def]
    admin, _, stranger = two_partnerships
    _client_for(admin).post(
        f"/admin/directory/person/{stranger.pk}/change/",
        {"email": stranger.email, "full_name": "Renamed By Outsider"},
    )
    stranger.refresh_from_db()
    assert stranger.full_name == "Stranger In Theirs"


def test_partnership_admin_lists_only_their_own_agencies(two_partnerships) -> None:  # type: ignore[no-untyped-def]
    admin, _, _ = two_partnerships
    page = _client_for(admin).get("/admin/directory/agency/").content.decode()
    assert admin.agency.name in page
    assert "Their Agency" not in page


def test_staff_without_the_administrator_role_sees_no_directory(two_partnerships) -> None:  # type: ignore[no-untyped-def]
    _, colleague, _ = two_partnerships
    colleague.is_staff = True
    colleague.save()
    response = _client_for(colleague).get("/admin/directory/person/")
    assert response.status_code == 403


def test_agency_choices_in_the_person_form_are_scoped(two_partnerships) -> None:  # type: ignore[no-untyped-def]
    admin, colleague, _ = two_partnerships
    page = (
        _client_for(admin).get(f"/admin/directory/person/{colleague.pk}/change/").content.decode()
    )
    assert admin.agency.name in page
    assert "Their Agency" not in page
