"""Factories for the directory. Every address is under example.org."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from escalate.directory.models import (
    Agency,
    AgencyType,
    EscalationContact,
    Level,
    Partnership,
    Person,
    RoleAssignment,
)

TEST_PASSWORD = "a-long-test-passphrase-2026"


class PartnershipFactory(DjangoModelFactory[Partnership]):
    class Meta:
        model = Partnership
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Testshire Safeguarding Partnership {n}")
    slug = factory.Sequence(lambda n: f"testshire-{n}")
    reference_prefix = factory.Sequence(
        lambda n: "T" + "".join(chr(65 + int(d)) for d in f"{n:03d}")
    )
    business_team_email = factory.Sequence(lambda n: f"business-{n}@testshire.example.org")
    front_door_phone = "0300 000 0000"


class AgencyFactory(DjangoModelFactory[Agency]):
    class Meta:
        model = Agency

    partnership = factory.SubFactory(PartnershipFactory)
    name = factory.Sequence(lambda n: f"Test Agency {n}")
    agency_type = AgencyType.SCHOOL


class PersonFactory(DjangoModelFactory[Person]):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@testshire.example.org")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    job_title = "Practitioner"
    agency = factory.SubFactory(AgencyFactory)
    partnership = factory.LazyAttribute(lambda person: person.agency.partnership)
    level = Level.PRACTITIONER
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self: Person, create: bool, extracted: Any, **kwargs: Any) -> None:  # type: ignore[misc]
        if not create or not extracted:
            return
        for role in extracted:
            RoleAssignment.objects.create(person=self, role=role)
        self.__dict__.pop("role_set", None)


class EscalationContactFactory(DjangoModelFactory[EscalationContact]):
    class Meta:
        model = EscalationContact

    agency = factory.SubFactory(AgencyFactory)
    level = Level.LINE_MANAGER
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@testshire.example.org")
