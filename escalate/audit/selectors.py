"""Reading the audit trail, only ever within the reader's own partnership."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person, Role


def can_read_audit(person: Person) -> bool:
    return person.partnership_id is not None and person.has_role(Role.AUDITOR)


def audit_events_visible_to(
    person: Person,
    *,
    reference: str = "",
    actor: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """The person's partnership's events, newest first; refuses anyone without the auditor role."""
    if not can_read_audit(person) or person.partnership_id is None:
        raise PermissionDenied
    events = AuditEvent.objects.filter(partnership_id=person.partnership_id)
    if reference:
        events = events.filter(object_reference__icontains=reference.strip())
    if actor:
        events = events.filter(
            Q(actor_label__icontains=actor.strip()) | Q(actor__full_name__icontains=actor.strip())
        )
    zone = timezone.get_current_timezone()
    if date_from:
        events = events.filter(occurred_at__gte=datetime.combine(date_from, time.min, zone))
    if date_to:
        next_day = datetime.combine(date_to + timedelta(days=1), time.min, zone)
        events = events.filter(occurred_at__lt=next_day)
    return events.select_related("actor").order_by("-occurred_at", "-sequence")
