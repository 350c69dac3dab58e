"""The retention review of escalation records (issue 21, item 1): when a record falls due, and
what keeps it (a legal hold until lifted, or an extension until a date).

Records are due 35 years after closure, or 75 years from birth for a looked-after child if that
is later (docs/privacy.md). The business unit sees what falls due within LOOKAHEAD, so there is
time to decide before anything could be disposed of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from escalate.directory.models import Person, Role
from escalate.escalations.models import Escalation
from escalate.escalations.selectors import escalations_visible_to
from escalate.privacy.models import RetentionDecision
from escalate.privacy.retention import period_of

LOOKAHEAD = timedelta(days=90)
LOOKED_AFTER_YEARS = 75


def may_review(person: Person) -> bool:
    return (
        person.is_authenticated
        and person.partnership_id is not None
        and person.has_role(Role.BUSINESS_MANAGER)
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def review_due_on(escalation: Escalation) -> date | None:
    """When the record falls due for review; None while it is open."""
    if escalation.closed_at is None:
        return None
    due = (escalation.closed_at + period_of("escalation_record")).date()
    birth = escalation.subject_date_of_birth
    if escalation.looked_after and birth is not None:
        try:
            from_birth = birth.replace(year=birth.year + LOOKED_AFTER_YEARS)
        except ValueError:
            from_birth = birth.replace(year=birth.year + LOOKED_AFTER_YEARS, day=28)
        due = max(due, from_birth)
    return due


def _held() -> Exists:
    return Exists(
        RetentionDecision.objects.filter(
            escalation=OuterRef("pk"), kind=RetentionDecision.Kind.HOLD, lifted_at__isnull=True
        )
    )


def _disposed() -> Exists:
    return Exists(
        RetentionDecision.objects.filter(
            escalation=OuterRef("pk"), kind=RetentionDecision.Kind.DISPOSED
        )
    )


def _extended_beyond(day: date) -> Exists:
    return Exists(
        RetentionDecision.objects.filter(
            escalation=OuterRef("pk"), kind=RetentionDecision.Kind.EXTEND, keep_until__gt=day
        )
    )


@dataclass(frozen=True)
class Review:
    due: list[Escalation]  # due within LOOKAHEAD, not held, not kept longer
    held: list[Escalation]  # under a legal hold, whenever due


def retention_review(person: Person, *, today: date) -> Review:
    """What falls due for `person`'s business unit to decide on, and what is on hold."""
    horizon = today + LOOKAHEAD
    closed_by = horizon - period_of("escalation_record")
    mine: QuerySet[Escalation] = escalations_visible_to(person)
    due = (
        mine.filter(closed_at__date__lte=closed_by)
        .filter(
            Q(looked_after=False)
            | Q(subject_date_of_birth__isnull=True)
            | Q(subject_date_of_birth__lte=_years_before(horizon, LOOKED_AFTER_YEARS))
        )
        .exclude(_held())
        .exclude(_disposed())
        .exclude(_extended_beyond(horizon))
        .order_by("closed_at", "pk")
    )
    held = mine.filter(_held()).order_by("closed_at", "pk")
    return Review(due=list(due[:500]), held=list(held[:500]))


def decisions_on(escalation: Escalation) -> list[RetentionDecision]:
    return list(
        RetentionDecision.objects.filter(escalation=escalation)
        .select_related("made_by", "lifted_by")
        .order_by("-made_at", "-pk")
    )
