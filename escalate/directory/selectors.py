"""Reads of the directory, scoped to the person asking (their own partnership only)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from escalate.directory.models import Agency, EscalationContact, Level, Person, Role


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


def people_holding(person: Person, role: str) -> QuerySet[Person]:
    """The active people of the person's partnership who hold `role` (its IROs, CP chairs...)."""
    return (
        people_of(person)
        .filter(role_assignments__role=role)
        .select_related("agency")
        .distinct()
        .order_by("full_name")
    )


def contacts_of(agency: Agency) -> QuerySet[EscalationContact]:
    """The agency's escalation contacts, by level (with the linked person, if any)."""
    return (
        EscalationContact.objects.filter(agency=agency)
        .select_related("person")
        .order_by("level", "name", "pk")
    )


# --- the business unit's directory pages (every agency and person, active or not) ----------


def directory_agencies(person: Person) -> QuerySet[Agency]:
    """Every agency of the person's partnership, active or not, with how many people it has."""
    return (
        Agency.objects.filter(partnership_id=person.partnership_id or 0)
        .annotate(people_count=Count("people"))
        .order_by("-is_active", "name", "pk")
    )


def manage_agency(person: Person, agency_id: int) -> Agency:
    """One agency (active or not) of the person's partnership; Http404 otherwise."""
    agency = (
        Agency.objects.filter(partnership_id=person.partnership_id or 0, pk=agency_id)
        .select_related("partnership")
        .first()
    )
    if agency is None:
        raise Http404("No agency found")
    return agency


def directory_people(
    person: Person, *, search: str = "", agency_id: int | None = None
) -> QuerySet[Person]:
    """Every person of the person's partnership (active or not), optionally searched."""
    people = (
        Person.objects.filter(partnership_id=person.partnership_id or 0)
        .select_related("agency", "line_manager")
        .prefetch_related("role_assignments")
        .order_by("-is_active", "full_name", "pk")
    )
    if search:
        people = people.filter(Q(full_name__icontains=search) | Q(email__icontains=search))
    if agency_id is not None:
        people = people.filter(agency_id=agency_id)
    return people


def manage_person(person: Person, person_id: int) -> Person:
    """One person (active or not) of the person's partnership; Http404 otherwise."""
    found = (
        Person.objects.filter(partnership_id=person.partnership_id or 0, pk=person_id)
        .select_related("agency", "line_manager", "partnership")
        .first()
    )
    if found is None:
        raise Http404("No person found")
    return found


def manage_contact(person: Person, contact_id: int) -> EscalationContact:
    """One escalation contact of an agency of the person's partnership; Http404 otherwise."""
    contact = (
        EscalationContact.objects.filter(
            agency__partnership_id=person.partnership_id or 0, pk=contact_id
        )
        .select_related("agency", "agency__partnership", "person")
        .first()
    )
    if contact is None:
        raise Http404("No contact found")
    return contact


def safeguarding_leads(agency: Agency) -> QuerySet[Person]:
    """The agency's active designated safeguarding leads (people with the DSL role)."""
    return Person.objects.filter(
        agency=agency, is_active=True, role_assignments__role=Role.DESIGNATED_SAFEGUARDING_LEAD
    ).order_by("full_name", "pk")


def contacts_by_agency(person: Person) -> list[tuple[Agency, list[EscalationContact]]]:
    """Level 2 and 3 contacts of every active agency of the person's partnership, for the
    practitioners' contacts page (West Sussex 003 publishes its Level 2 contacts for this)."""
    contacts = (
        EscalationContact.objects.filter(
            agency__partnership_id=person.partnership_id or 0,
            agency__is_active=True,
            level__in=[Level.LINE_MANAGER, Level.SENIOR_MANAGER],
        )
        # A contact linked to a person who has been deactivated (left) is not offered.
        .exclude(person__is_active=False)
        .select_related("agency")
        .order_by("agency__name", "agency__pk", "level", "service", "name", "pk")
    )
    grouped: dict[int, tuple[Agency, list[EscalationContact]]] = {}
    for contact in contacts:
        grouped.setdefault(contact.agency_id, (contact.agency, []))[1].append(contact)
    return list(grouped.values())


def every_agency_in(partnership_id: int) -> QuerySet[Agency]:
    """Every agency of a partnership, active or not, by name (the directory's choices)."""
    return Agency.objects.filter(partnership_id=partnership_id).order_by("name", "pk")


def active_people_in(partnership_id: int) -> QuerySet[Person]:
    """The active people of a partnership, by name (line manager choices)."""
    return Person.objects.filter(partnership_id=partnership_id, is_active=True).order_by(
        "full_name", "pk"
    )
