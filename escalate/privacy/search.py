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


def matching_escalations(person: Person, query: SubjectQuery) -> QuerySet[Escalation]:
    """The escalations `person` may see that match every part of `query` given."""
    rule = Q()
    for word in query.name.split():
        rule &= Q(subject_name__icontains=word)
    if query.date_of_birth is not None:
        rule &= Q(subject_date_of_birth=query.date_of_birth)
    if query.case_reference:
        rule &= Q(case_references__icontains=query.case_reference)
    if not rule:
        return Escalation.objects.none()
    return escalations_visible_to(person).filter(rule)
