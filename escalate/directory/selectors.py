"""Reads of the directory, scoped to the person asking (their own partnership only)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from escalate.directory.models import Agency, EscalationContact, Person


def agencies_in(partnership_id: int | None) -> QuerySet[Agency]:
    """The active agencies of a partnership, by name (for a record of that partnership)."""
    return Agency.objects.filter(partnership_id=partnership_id or 0, is_active=True).order_by(
        "name", "pk"
    )


def agencies_of(person: Person) -> QuerySet[Agency]:
    """The active agencies of the person's partnership, by name."""
    return agencies_in(person.partnership_id)


def agencies_among(agencies: Iterable[Agency]) -> QuerySet[Agency]:
    """Agencies a selector already chose for the person, as a queryset (a form's choices)."""
    return Agency.objects.filter(pk__in=[agency.pk for agency in agencies])


def access_agency(person: Person, agency_id: int) -> Agency:
    """One agency of the person's partnership; Http404 otherwise (as for one that is missing)."""
    agency = agencies_of(person).filter(pk=agency_id).first()
    if agency is None:
        raise Http404("No agency found")
    return agency


def people_in(partnership_id: int | None) -> QuerySet[Person]:
    """The active people of a partnership, by name (for a record of that partnership)."""
    return (
        Person.objects.filter(partnership_id=partnership_id or 0, is_active=True)
        .select_related("agency")
        .order_by("full_name", "pk")
    )


def people_of(person: Person) -> QuerySet[Person]:
    """The active people of the person's partnership."""
    return people_in(person.partnership_id)


def contacts_of(agency: Agency) -> QuerySet[EscalationContact]:
    """The agency's escalation contacts, by level."""
    return EscalationContact.objects.filter(agency=agency).order_by("level", "name", "pk")
