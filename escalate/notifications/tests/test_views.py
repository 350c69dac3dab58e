"""The notifications page, the unread count in the header, and the deadline calendar."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.tests.factories import (
    EscalationFactory,
)
from escalate.notifications.models import Channel, Notification
from escalate.notifications.selectors import notifications_for_escalation
from escalate.notifications.services import enqueue_notification

pytestmark = pytest.mark.django_db


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def notify(person, key: str, escalation=None, **kwargs) -> None:
    escalation = escalation or EscalationFactory(partnership=person.partnership)
    enqueue_notification(
        partnership=person.partnership,
        escalation=escalation,
        event="raised",
        event_key=key,
        recipient=person,
        **{"subject": f"Subject {key}", "body": f"Body {key}", **kwargs},
    )


def test_page_lists_the_persons_in_app_notifications_only() -> None:
    person = PersonFactory()
    other = PersonFactory()
    notify(person, "mine")
    notify(other, "theirs")
    page = signed_in(person).get(reverse("notifications:inbox")).content.decode()
    assert "Subject mine" in page
    assert "Subject theirs" not in page
    assert "You have 1 unread notification." in page


def test_header_shows_the_unread_count_with_one_query(django_assert_num_queries) -> None:
    person = PersonFactory()
    notify(person, "one")
    notify(person, "two")
    client = signed_in(person)
    client.get("/")  # warm the session
    from django.test import RequestFactory

    from escalate.notifications.context_processors import notifications

    request = RequestFactory().get("/")
    request.user = person
    context = notifications(request)
    with django_assert_num_queries(1):
        assert str(context["notifications_unread_count"]) == "2"
    page = client.get("/").content.decode()
    assert 'app-unread-count">2<' in page


def test_marking_one_read_lowers_the_count() -> None:
    person = PersonFactory()
    notify(person, "one")
    notify(person, "two")
    row = Notification.objects.get(event_key="one", channel=Channel.IN_APP)
    client = signed_in(person)
    response = client.post(reverse("notifications:mark_read", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.read_at is not None
    assert (
        "You have 1 unread notification."
        in client.get(reverse("notifications:inbox")).content.decode()
    )


def test_nobody_can_mark_someone_elses_notification() -> None:
    person = PersonFactory()
    notify(person, "one")
    row = Notification.objects.get(channel=Channel.IN_APP)
    response = signed_in(PersonFactory()).post(reverse("notifications:mark_read", args=[row.pk]))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_all_read() -> None:
    person = PersonFactory()
    notify(person, "one")
    notify(person, "two")
    client = signed_in(person)
    client.post(reverse("notifications:mark_all_read"))
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "You have no unread notifications." in page
    assert "app-unread-count" not in page


def test_marking_read_needs_post() -> None:
    person = PersonFactory()
    assert signed_in(person).get(reverse("notifications:mark_all_read")).status_code == 405


def test_timeline_selector_says_who_was_told_what_and_whether_delivered() -> None:
    escalation = EscalationFactory()
    notify(escalation.respondent_person, "raised:1", escalation=escalation)
    enqueue_notification(
        partnership=escalation.partnership,
        escalation=escalation,
        event="raised",
        event_key="raised:1",
        subject="To the business team",
        body="b",
        email="team@testshire.example.org",
    )
    rows = list(notifications_for_escalation(escalation))
    assert [(row.recipient_key, row.channel, row.status) for row in rows] == [
        (f"person:{escalation.respondent_person.pk}", "email", "pending"),
        (f"person:{escalation.respondent_person.pk}", "in_app", "pending"),
        ("email:team@testshire.example.org", "email", "pending"),
    ]
    assert rows[0].recipient == escalation.respondent_person


# The calendar


def test_timeline_labels_people_by_name_and_mailboxes_by_address() -> None:
    escalation = EscalationFactory()
    notify(escalation.respondent_person, "raised:9", escalation=escalation)
    enqueue_notification(
        partnership=escalation.partnership,
        escalation=escalation,
        event="raised",
        event_key="raised:9",
        subject="s",
        body="b",
        email="team@testshire.example.org",
    )
    labels = [row.recipient_label for row in notifications_for_escalation(escalation)]
    assert labels[0] == escalation.respondent_person.full_name
    assert labels[-1] == "team@testshire.example.org"


# --- notices that could not be delivered: seen and sent again by the business unit ------


def _failed_notice() -> Notification:
    from escalate.notifications.tests.helpers import escalation_raised_with_notice

    escalation = escalation_raised_with_notice()
    notice = Notification.objects.get(escalation=escalation, channel=Channel.EMAIL)
    Notification.objects.filter(pk=notice.pk).update(
        status="failed", attempts=8, last_error="550 5.1.1 No such mailbox"
    )
    return notice


def _signed_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_business_unit_sees_failed_notices_and_sends_one_again() -> None:
    from escalate.audit.models import AuditEvent
    from escalate.directory.models import Role

    notice = _failed_notice()
    manager = PersonFactory(agency__partnership=notice.partnership, roles=[Role.BUSINESS_MANAGER])
    client = _signed_in(manager)
    page = client.get(reverse("notifications:failed")).content.decode()
    assert notice.escalation.reference in page
    assert notice.recipient_email in page and "550 5.1.1 No such mailbox" in page

    response = client.post(reverse("notifications:send_failed_again", args=[notice.pk]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == "pending" and notice.attempts == 0
    event = AuditEvent.objects.get(action="notifications_sent_again")
    assert event.actor == manager and event.object_id == str(notice.pk)
    # Sent again once: a second press finds nothing failed.
    again = client.post(reverse("notifications:send_failed_again", args=[notice.pk]))
    assert again.status_code == 404


def test_only_the_business_unit_of_the_same_partnership_may_send_again() -> None:
    from escalate.directory.models import Role

    notice = _failed_notice()
    practitioner = PersonFactory(agency__partnership=notice.partnership)
    assert _signed_in(practitioner).get(reverse("notifications:failed")).status_code == 403
    url = reverse("notifications:send_failed_again", args=[notice.pk])
    assert _signed_in(practitioner).post(url).status_code == 403
    elsewhere = PersonFactory(roles=[Role.BUSINESS_MANAGER])  # another partnership's
    assert _signed_in(elsewhere).post(url).status_code == 404
    missing = reverse("notifications:send_failed_again", args=[notice.pk + 1000])
    assert _signed_in(elsewhere).post(missing).status_code == 404
    notice.refresh_from_db()
    assert notice.status == "failed"
    listing = _signed_in(elsewhere).get(reverse("notifications:failed")).content.decode()
    assert notice.escalation.reference not in listing


def test_the_list_has_one_line_per_notice_grouped_by_escalation() -> None:
    person = PersonFactory()
    first = EscalationFactory(partnership=person.partnership)
    second = EscalationFactory(partnership=person.partnership)
    notify(person, "a", first, subject="First about one", body="Sign in to see the long body")
    notify(person, "b", second, subject="About two", body="Sign in to see the long body")
    notify(person, "c", first, subject="Second about one", body="Sign in to see the long body")
    page = signed_in(person).get(reverse("notifications:inbox")).content.decode()
    assert "Sign in to see the long body" not in page
    # The escalation told most recently comes first, its notices together, newest first.
    order = [
        page.index(f"Escalation {first.reference}"),
        page.index("Second about one"),
        page.index("First about one"),
        page.index(f"Escalation {second.reference}"),
        page.index("About two"),
    ]
    assert order == sorted(order)


def test_opening_an_escalation_from_the_list_marks_only_its_notices_read() -> None:
    person = PersonFactory()
    first = EscalationFactory(partnership=person.partnership)
    second = EscalationFactory(partnership=person.partnership)
    notify(person, "a", first)
    notify(person, "b", first)
    notify(person, "c", second)
    notice = Notification.objects.filter(recipient=person, escalation=first).first()
    response = signed_in(person).post(
        reverse("notifications:open_escalation", kwargs={"notification_id": notice.pk})
    )
    assert response.status_code == 302
    assert response["Location"] == first.get_absolute_url()
    unread = Notification.objects.filter(recipient=person, channel=Channel.IN_APP, read_at=None)
    assert list(unread.values_list("escalation_id", flat=True)) == [second.pk]


def test_nobody_opens_through_someone_elses_notice() -> None:
    person = PersonFactory()
    notify(person, "a")
    notice = Notification.objects.get(recipient=person, channel=Channel.IN_APP)
    other = PersonFactory(partnership=person.partnership)
    response = signed_in(other).post(
        reverse("notifications:open_escalation", kwargs={"notification_id": notice.pk})
    )
    assert response.status_code == 404
    assert Notification.objects.get(pk=notice.pk).read_at is None
