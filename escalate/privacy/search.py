"""Finding a child's or adult's escalations (issue 21, item 3): who may search, and the match.

Only the partnership's business unit and designated safeguarding leads may search. The results
come from `escalations_visible_to` and nothing else, so a search never reveals that an
escalation the searcher may not see exists: its answer is the same as if there were none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from escalate.directory.models import Person, Role
from escalate.escalations.models import Escalation
from escalate.escalations.selectors import escalations_visible_to

SEARCHING_ROLES = frozenset({Role.BUSINESS_MANAGER, Role.DESIGNATED_SAFEGUARDING_LEAD})

# Kept in the audit row as they are: a reason from this list says nothing about the child.
SEARCH_REASONS = [
    ("subject_access", "A subject access request"),
    ("practice_review", "A child or adult safeguarding practice review"),
    ("repeat_concern", "Checking for repeated disagreements about the same person"),
    ("legal", "Legal proceedings or a complaint"),
]

MOST_RESULTS = 100


@dataclass(frozen=True)
class SubjectQuery:
    name: str = ""
    date_of_birth: date | None = None
    case_reference: str = ""


def may_search(person: Person) -> bool:
    return (
        person.is_authenticated
        and person.partnership_id is not None
        and any(person.has_role(role) for role in SEARCHING_ROLES)
    )


def _identifier_rule(query: SubjectQuery) -> Q:
    """Every part of `query` given must match: each word of the name (any case), the date of
    birth, and the case reference within the escalation's case references."""
    rule = Q()
    for word in query.name.split():
        rule &= Q(subject_name__icontains=word)
    if query.date_of_birth is not None:
        rule &= Q(subject_date_of_birth=query.date_of_birth)
    if query.case_reference:
        rule &= Q(case_references__icontains=query.case_reference)
    return rule


def matching_escalations(person: Person, query: SubjectQuery) -> QuerySet[Escalation]:
    """The escalations `person` may see that match every part of `query` given."""
    rule = _identifier_rule(query)
    if not rule:
        return Escalation.objects.none()
    return escalations_visible_to(person).filter(rule)


# --- the same person again: linking a new escalation to earlier ones --------------------------

SHORTEST_CASE_REFERENCE = 5  # shorter ones (a "12") would match unrelated references
MOST_LINKS = 20


@dataclass(frozen=True)
class Identifiers:
    """The identifiers of the person a new escalation is about, as the raise pages collect them."""

    subject_kind: str
    name: str
    date_of_birth: date | None
    case_references: str


def _case_references(text: str) -> list[str]:
    parts = (part.strip() for part in text.replace(";", ",").replace("\n", ",").split(","))
    return [part for part in parts if len(part) >= SHORTEST_CASE_REFERENCE]


def _same_person_rule(identifiers: Identifiers) -> Q | None:
    """The search's rule, asked as a link must be: the whole name with the date of birth (a name
    alone is too common to link on), or any one of the case references given."""
    queries = []
    if identifiers.name.strip() and identifiers.date_of_birth is not None:
        queries.append(SubjectQuery(name=identifiers.name, date_of_birth=identifiers.date_of_birth))
    queries += [
        SubjectQuery(case_reference=ref) for ref in _case_references(identifiers.case_references)
    ]
    rule: Q | None = None
    for query in queries:
        one = _identifier_rule(query)
        rule = one if rule is None else rule | one
    if rule is None:
        return None
    return rule & Q(subject_kind=identifiers.subject_kind)


def earlier_about_same_person(
    partnership_id: int, identifiers: Identifiers, *, before: Escalation | None = None
) -> QuerySet[Escalation]:
    """Every escalation in the partnership about the same person, whoever may see it.

    For the raising service to record links with, never to show: what a person is shown goes
    through `offered_links`.
    """
    rule = _same_person_rule(identifiers)
    if rule is None:
        return Escalation.objects.none()
    found = Escalation.objects.filter(partnership_id=partnership_id).filter(rule)
    if before is not None:
        found = found.filter(raised_at__lte=before.raised_at).exclude(pk=before.pk)
    return found.order_by("-raised_at", "-pk")[:MOST_LINKS]  # type: ignore[return-value]


def offered_links(person: Person, identifiers: Identifiers) -> list[Escalation]:
    """The earlier escalations about the same person that `person` may see (offered for linking
    on the raise journey). Those they may not see are left out, exactly as if there were none."""
    rule = _same_person_rule(identifiers)
    if rule is None:
        return []
    return list(escalations_visible_to(person).filter(rule)[:MOST_LINKS])
