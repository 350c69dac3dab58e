"""Reads about notifications, each scoped to the person asking (or to one escalation)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import F, Max, Model, QuerySet, Window

from escalate.directory.models import Person, Role
from escalate.notifications.models import CalendarToken, Channel, Notification, Status


def in_app_for(person: Person) -> QuerySet[Notification]:
    """The person's in-app notifications in their current partnership (the one rule).

    Someone moved to another partnership keeps their old rows, but no longer sees them: they
    are about escalations of a partnership the person no longer works in.
    """
    if person.partnership_id is None:
        return Notification.objects.none()
    return Notification.objects.filter(
        recipient=person, channel=Channel.IN_APP, partnership_id=person.partnership_id
    )


def inbox_for(person: Person) -> QuerySet[Notification]:
    """The person's in-app notifications grouped by escalation: the escalation told of most
    recently first, then each escalation's notices newest first (the page regroups them)."""
    latest = Window(Max("created_at"), partition_by=[F("escalation_id")])
    return (
        in_app_for(person)
        .select_related("escalation")
        .only("subject", "created_at", "read_at", "escalation__reference", "escalation_id")
        .annotate(escalation_latest=latest)
        .order_by("-escalation_latest", "escalation_id", "-created_at", "-pk")
    )


def unread_count(person: Person) -> int:
    """How many in-app notifications the person has not read (one query)."""
    return in_app_for(person).filter(read_at__isnull=True).count()


def notifications_for_escalation(escalation: Model) -> QuerySet[Notification]:
    """Who was told what about an escalation, when, by which channel, and whether delivered.

    For the escalation's timeline (the caller has already checked the person may see it).
    Each row has recipient_label (the person's name or the mailbox), get_channel_display,
    event, subject, created_at, status / get_status_display (Waiting to send, Delivered, Could
    not be delivered), sent_at, attempts and last_error. In-app rows count as delivered once
    the worker has passed them; read_at says whether the person has read it.
    """
    return (
        Notification.objects.filter(escalation_id=escalation.pk)
        .select_related("recipient")
        .order_by("created_at", "pk")
    )


def active_calendar_token(person: Person) -> CalendarToken | None:
    return CalendarToken.objects.filter(person=person, revoked_at__isnull=True).first()


def calendar_token_owner(token: str) -> Person | None:
    """The person whose active calendar address this is, or None (unknown or revoked)."""
    row = (
        CalendarToken.objects.filter(token_hash=CalendarToken.hash(token), revoked_at__isnull=True)
        .select_related("person")
        .first()
    )
    if row is None or not row.person.is_active:
        return None
    return row.person


def failed_notices_for(person: Person) -> QuerySet[Notification]:
    """Notices of the person's partnership that could not be delivered, newest first, for its
    business unit (business managers) to see and send again; PermissionDenied for anyone else.
    """
    if person.partnership_id is None or not person.has_role(Role.BUSINESS_MANAGER):
        raise PermissionDenied
    return (
        Notification.objects.filter(partnership_id=person.partnership_id, status=Status.FAILED)
        .exclude(channel=Channel.IN_APP)
        .select_related("recipient", "escalation")
        .order_by("-created_at", "-pk")
    )
