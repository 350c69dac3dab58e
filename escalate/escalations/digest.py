"""The daily email: routine notices held for people who chose one email a day, sent as one.

`services.enqueue_notifications` holds a routine email about an escalation (status HELD) when its
recipient chose the daily email; urgent ones are never held, and in-app notices appear at once.
Once a day (`tasks.enqueue_digest_if_due`, from NOTIFICATIONS_DIGEST_HOUR) each person's held
rows become one email, written by the one outbox writer with the event key
`digest:<person>:<day>`: running twice on a day sends once. Each person's email is one
transaction that also marks their held rows as sent in it, so a crash mid-run loses nothing and
sends nothing twice. Access is checked when the email is made: a held notice about an escalation
the person may no longer see is withheld, never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from escalate.directory.models import Person
from escalate.escalations import messages
from escalate.escalations.models import Escalation
from escalate.escalations.selectors import escalations_visible_to
from escalate.notifications.delivery import mentions_subject_identifiers
from escalate.notifications.models import Channel, Notification, Status
from escalate.notifications.services import NotificationSpec, enqueue_notifications

DIGEST_EVENT = "daily_digest"


@dataclass
class DigestReport:
    sent: int = 0  # daily emails written
    notices: int = 0  # held notices sent in them
    withheld: int = 0  # held notices about escalations no longer theirs to see
    waiting: int = 0  # people whose email for the day was already sent: theirs wait a day


def digest_key(person_id: int, day: date) -> str:
    return f"digest:{person_id}:{day.isoformat()}"


def send_daily_digests(*, now: datetime | None = None) -> DigestReport:
    """Write today's daily email for everyone with held notices (one transaction each)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    report = DigestReport()
    people = (
        Notification.objects.filter(status=Status.HELD, recipient__isnull=False)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for person_id in list(people):
        _digest_for(person_id, day=day, now=now, report=report)
    return report


@transaction.atomic(durable=True)
def _digest_for(person_id: int, *, day: date, now: datetime, report: DigestReport) -> None:
    held = list(
        Notification.objects.select_for_update()
        .filter(status=Status.HELD, recipient_id=person_id)
        .order_by("created_at", "pk")
    )
    if not held:
        return  # another run took them
    key = digest_key(person_id, day)
    if Notification.objects.filter(event_key=key).exists():
        report.waiting += 1  # today's is sent; these go in tomorrow's
        return
    person = Person.objects.select_related("partnership").get(pk=person_id)
    ids = {row.escalation_id for row in held if row.escalation_id is not None}
    visible = {
        escalation.pk: escalation
        for escalation in escalations_visible_to(person).filter(pk__in=ids).order_by()
    }
    kept = [row for row in held if row.escalation_id in visible]
    withheld = [row.pk for row in held if row.escalation_id not in visible]
    if withheld:
        Notification.objects.filter(pk__in=withheld).update(status=Status.WITHHELD)
        report.withheld += len(withheld)
    if not kept:
        return
    by_escalation: dict[int, list[Notification]] = {}
    for row in kept:
        assert row.escalation_id is not None
        by_escalation.setdefault(row.escalation_id, []).append(row)
    items = [_item(visible[pk], rows) for pk, rows in by_escalation.items()]
    message = messages.daily_digest(
        name=person.full_name,
        day=day,
        items=items,
        settings_link=messages.escalation_link(reverse("notifications:settings")),
    )
    assert person.partnership is not None
    enqueue_notifications(
        [
            NotificationSpec(
                partnership=person.partnership,
                escalation=None,
                event=DIGEST_EVENT,
                event_key=key,
                subject=message.subject,
                body=message.body,
                recipient=person,
                channels=(Channel.EMAIL,),
                template_key=message.key,
                personalisation=message.personalisation,
            )
        ]
    )
    digest = Notification.objects.get(event_key=key, channel=Channel.EMAIL)
    Notification.objects.filter(pk__in=[row.pk for row in kept]).update(
        status=Status.SENT, sent_at=now, digest=digest
    )
    report.sent += 1
    report.notices += len(kept)


def _item(escalation: Escalation, rows: list[Notification]) -> messages.DigestItem:
    """One escalation's line: what happened (each notice), the latest ask and due date."""
    happened: list[str] = []
    ask = due = ""
    for row in rows:
        fields = row.personalisation or {}
        what = str(fields.get("what") or row.subject).strip().rstrip(".")
        if what not in happened:
            happened.append(what)
        ask = str(fields.get("ask") or ask)
        due = str(fields.get("due") or due)
    link = messages.escalation_link(escalation.get_absolute_url())
    item = messages.DigestItem(escalation.reference, happened, ask, due, link)
    # The same second line of defence as one email's (delivery.outgoing_email).
    if mentions_subject_identifiers(messages.digest_item_text(item), escalation):
        return messages.DigestItem(escalation.reference, ["There is an update"], "", "", link)
    return item
