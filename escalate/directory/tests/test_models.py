from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from escalate.directory.models import Person, Role
from escalate.directory.tests.factories import AgencyFactory, PartnershipFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_person_is_the_user_model_and_signs_in_by_email() -> None:
    person = Person.objects.create_user("Someone@Testshire.Example.org", "correct-horse-battery")
    assert person.email == "someone@testshire.example.org"
    assert person.check_password("correct-horse-battery")


def test_passwords_are_hashed_with_argon2(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    person = PersonFactory()
    person.set_password("a sufficiently long passphrase")
    assert person.password.startswith("argon2")


def test_partnership_of_a_person_follows_their_agency() -> None:
    person = PersonFactory()
    assert person.partnership == person.agency.partnership


def test_agency_from_another_partnership_is_refused() -> None:
    person = PersonFactory()
    other_agency = AgencyFactory(partnership=PartnershipFactory())
    person.agency = other_agency
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert "agency" in error.value.message_dict


def test_line_manager_from_another_partnership_is_refused() -> None:
    person = PersonFactory()
    person.line_manager = PersonFactory()
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert "line_manager" in error.value.message_dict


def test_management_chain_goes_up_and_stops_at_a_cycle() -> None:
    senior = PersonFactory()
    manager = PersonFactory(agency=senior.agency, line_manager=senior)
    worker = PersonFactory(agency=senior.agency, line_manager=manager)
    assert worker.management_chain() == [manager, senior]
    senior.line_manager = worker
    senior.save()
    worker.refresh_from_db()
    assert worker.management_chain() == [manager, senior]


def test_roles_are_assigned_once_each() -> None:
    person = PersonFactory(roles=[Role.IRO])
    assert person.has_role(Role.IRO)
    assert not person.has_role(Role.AUDITOR)
    with pytest.raises(IntegrityError):
        person.role_assignments.create(role=Role.IRO)


def test_agency_names_are_unique_within_a_partnership_only() -> None:
    first = AgencyFactory(name="Hillside School")
    AgencyFactory(name="Hillside School")  # another partnership: allowed
    with pytest.raises(IntegrityError):
        AgencyFactory(name="Hillside School", partnership=first.partnership)
