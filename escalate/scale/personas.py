"""Who the benchmarks and the query-count tests ask as: real people of a seeded partnership."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F

from escalate.directory.models import Partnership, Person
from escalate.escalations.models import MANAGER_PARTS, ChronologyEntry, Escalation, Participant


@dataclass(frozen=True)
class Personas:
    partnership: Partnership
    practitioner: Person  # raised the most escalations still open
    manager: Person  # a manager on the most open escalations
    business_manager: Person  # sees the dashboard
    reference: str  # the practitioner's escalation with the longest chronology
    stage_manager: Person  # a manager brought in at the current stage of an open escalation
    stage_reference: str  # that escalation: the longest chronology of its kind


def choose_personas() -> Personas:
    """The busiest person of each kind in the first seeded partnership (the worst cases)."""
    partnership = Partnership.objects.filter(slug__startswith="scale-").order_by("pk").first()
    if partnership is None:
        raise LookupError("No seeded partnership: run manage.py seed_scale first.")
    # Open ones: a practitioner whose escalations are all closed has nothing waiting on their
    # home page, which then skips a query (the pins would depend on the data).
    raiser = (
        Escalation.objects.filter(partnership=partnership, status="open")
        .values("raised_by")
        .annotate(n=Count("pk"))
        .order_by("-n", "raised_by")
        .first()
    )
    manager = (
        Participant.objects.filter(
            part__in=MANAGER_PARTS, escalation__partnership=partnership, escalation__status="open"
        )
        .values("person")
        .annotate(n=Count("pk"))
        .order_by("-n", "person")
        .first()
    )
    business_manager = (
        Person.objects.filter(partnership=partnership, role_assignments__role="business_manager")
        .order_by("pk")
        .first()
    )
    if raiser is None or manager is None or business_manager is None:
        raise LookupError("The seeded partnership is too small to have every kind of person.")
    practitioner = Person.objects.get(pk=raiser["raised_by"])
    longest = (
        ChronologyEntry.objects.filter(escalation__raised_by=practitioner)
        .values("escalation__reference")
        .annotate(n=Count("pk"))
        .order_by("-n", "escalation__reference")
        .first()
    )
    assert longest is not None  # every escalation has its "raised" entry
    # A manager acting now: brought in at the escalation's current stage (Stage 2 or later).
    acting = (
        Participant.objects.filter(
            part__in=MANAGER_PARTS,
            escalation__partnership=partnership,
            escalation__status="open",
            stage_key=F("escalation__current_stage_key"),
        )
        .annotate(entries=Count("escalation__chronology"))
        .order_by("-entries", "escalation_id", "person_id")
        .values("person", "escalation__reference")
        .first()
    )
    if acting is None:
        raise LookupError("The seeded partnership has no open escalation past its first stage.")
    return Personas(
        partnership=partnership,
        practitioner=practitioner,
        manager=Person.objects.get(pk=manager["person"]),
        business_manager=business_manager,
        reference=longest["escalation__reference"],
        stage_manager=Person.objects.get(pk=acting["person"]),
        stage_reference=acting["escalation__reference"],
    )
