"""One person's deadlines as an iCalendar feed: the stages they act in and the actions they own.

Calendar apps copy events to other services, so events carry only the escalation reference, what
falls due and a link; never the child's or adult's details.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from icalendar import Calendar, Event

from escalate.directory.models import Person
from escalate.escalations.models import Part, StageRecord, Status
from escalate.escalations.selectors import actions_for, escalations_visible_to
from escalate.policies.calendar import LONDON

END_OF_DAY = time(23, 59, 59)
# Everyone taking part in a stage; action owners see their actions instead.
STAGE_PARTS = [part for part in Part.values if part != Part.ACTION_OWNER]


def deadline_calendar(person: Person, *, now: datetime | None = None) -> bytes:
    """The iCalendar (RFC 5545) document of the person's open deadlines (a few queries)."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Escalate//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Escalate deadlines")
    calendar.add("x-wr-timezone", "Europe/London")

    # Only escalations the person may see now (their partnership's), through the one rule.
    stages = (
        StageRecord.objects.filter(
            escalation__in=escalations_visible_to(person).order_by().values("pk"),
            ended_at__isnull=True,
            paused_at__isnull=True,
            due_at__isnull=False,
            escalation__status=Status.OPEN,
            escalation__participants__person=person,
            escalation__participants__stage_key=F("stage_key"),
            escalation__participants__part__in=STAGE_PARTS,
            escalation__current_stage_key=F("stage_key"),
        )
        .select_related("escalation__policy_version")
        .distinct()
    )
    for record in stages:
        escalation = record.escalation
        assert record.due_at is not None
        try:
            stage_name = escalation.policy_version.spec.stage(record.stage_key).name
        except KeyError:
            stage_name = record.stage_key
        event = Event()
        event.add("uid", f"stage-{record.pk}@escalate")
        event.add("dtstamp", now)
        event.add("summary", f"Escalation {escalation.reference}: {stage_name} due")
        _add_when(event, record.due_at)
        link = f"{settings.SITE_URL}{escalation.get_absolute_url()}"
        event.add("url", link)
        event.add("description", f"{stage_name} of escalation {escalation.reference}.\n{link}")
        calendar.add_component(event)

    for action in actions_for(person).filter(done_at__isnull=True):
        escalation = action.escalation
        event = Event()
        event.add("uid", f"action-{action.pk}@escalate")
        event.add("dtstamp", now)
        event.add("summary", f"Escalation {escalation.reference}: action due")
        event.add("dtstart", action.due_on)
        event.add("dtend", action.due_on + timedelta(days=1))
        link = f"{settings.SITE_URL}{escalation.get_absolute_url()}"
        event.add("url", link)
        event.add("description", f"An action you own on escalation {escalation.reference}.\n{link}")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _add_when(event: Event, due_at: datetime) -> None:
    local = due_at.astimezone(LONDON)
    if local.time() == END_OF_DAY:
        # Working-day deadlines fall at the end of a day: show them as all-day events.
        event.add("dtstart", local.date())
        event.add("dtend", local.date() + timedelta(days=1))
    else:
        event.add("dtstart", local - timedelta(minutes=30))
        event.add("dtend", local)
