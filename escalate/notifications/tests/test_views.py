"""The notifications page, the unread count in the header, and the deadline calendar."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.models import Part
from escalate.escalations.tests.factories import (
    ActionFactory,
    EscalationFactory,
    ParticipantFactory,
    StageRecordFactory,
)
from escalate.notifications.models import CalendarToken, Channel, Notification
from escalate.notifications.selectors import notifications_for_escalation
from escalate.notifications.services import enqueue_notification
from escalate.policies.calendar import end_of_day

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
        subject=f"Subject {key}",
        body=f"Body {key}",
        recipient=person,
        **kwargs,
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


def deadlines_for_person():
    person = PersonFactory()
    escalation = EscalationFactory(
        partnership=person.partnership,
        subject_name="Robin Fictional",
        stage_due_at=end_of_day(date(2026, 12, 2)),
    )
    record = StageRecordFactory(escalation=escalation)
    ParticipantFactory(escalation=escalation, person=person, part=Part.RAISER_MANAGER)
    action = ActionFactory(escalation=escalation, owner=person, due_on=date(2026, 12, 9))
    ActionFactory(escalation=escalation, owner=person, done_at=escalation.raised_at)
    return person, escalation, record, action


def events_in(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_download_lists_my_stages_and_actions_without_child_details() -> None:
    person, escalation, record, action = deadlines_for_person()
    PersonFactory()  # someone else's deadlines are not mine
    response = signed_in(person).get(reverse("notifications:calendar_download"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = events_in(response.content)
    assert set(events) == {f"stage-{record.pk}@escalate", f"action-{action.pk}@escalate"}
    stage_event = events[f"stage-{record.pk}@escalate"]
    assert stage_event.decoded("dtstart") == date(2026, 12, 2)
    assert escalation.reference in str(stage_event["summary"])
    assert events[f"action-{action.pk}@escalate"].decoded("dtstart") == date(2026, 12, 9)
    assert b"Robin" not in response.content


def test_someone_else_sees_none_of_my_deadlines() -> None:
    deadlines_for_person()
    response = signed_in(PersonFactory()).get(reverse("notifications:calendar_download"))
    assert events_in(response.content) == {}


def test_feed_address_works_without_signing_in_until_revoked() -> None:
    person, _escalation, record, _action = deadlines_for_person()
    client = signed_in(person)
    page = client.post(reverse("notifications:calendar"), {"action": "create"}).content.decode()
    feed = _feed_in(page)

    anonymous = Client()
    response = anonymous.get(feed)
    assert response.status_code == 200
    assert f"stage-{record.pk}@escalate" in events_in(response.content)

    client.post(reverse("notifications:calendar"), {"action": "revoke"})
    assert anonymous.get(feed).status_code == 404
    assert (
        "Create a calendar address"
        in client.get(reverse("notifications:calendar")).content.decode()
    )


def _feed_in(page: str) -> str:
    """The feed's path, from the address shown once on the page that created it."""
    found = re.search(r'<code class="app-calendar-address">https?://[^/]+(/[^<]+)</code>', page)
    assert found, "the new address is not shown"
    return found[1]


def test_the_address_is_shown_once_and_only_its_hash_is_stored() -> None:
    person = PersonFactory()
    client = signed_in(person)
    created = client.post(reverse("notifications:calendar"), {"action": "create"})
    assert created.status_code == 200
    feed = _feed_in(created.content.decode())
    secret = feed.removeprefix("/notifications/calendar/feed/").removesuffix(".ics")
    row = CalendarToken.objects.get(person=person)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not CalendarToken.objects.filter(token_hash=secret).exists()
    later = client.get(reverse("notifications:calendar")).content.decode()
    assert secret not in later
    assert "Replace with a new address" in later
    assert Client().get(feed).status_code == 200
    # Someone holding the stored hash (a database reader) cannot use it as the address.
    by_hash = reverse("notifications:calendar_feed", kwargs={"token": row.token_hash})
    assert Client().get(by_hash).status_code == 404


def test_a_new_address_replaces_the_old_one() -> None:
    person = PersonFactory()
    client = signed_in(person)
    old = _feed_in(
        client.post(reverse("notifications:calendar"), {"action": "create"}).content.decode()
    )
    new = _feed_in(
        client.post(reverse("notifications:calendar"), {"action": "create"}).content.decode()
    )
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_an_unknown_token_is_not_found() -> None:
    response = Client().get(reverse("notifications:calendar_feed", kwargs={"token": "guess"}))
    assert response.status_code == 404


def test_a_deactivated_persons_feed_stops_working() -> None:
    person = PersonFactory()
    page = signed_in(person).post(reverse("notifications:calendar"), {"action": "create"})
    feed = _feed_in(page.content.decode())
    person.is_active = False
    person.save()
    assert Client().get(feed).status_code == 404


def test_download_needs_sign_in() -> None:
    response = Client().get(reverse("notifications:calendar_download"))
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_paused_and_finished_stages_are_not_in_the_calendar() -> None:
    person, escalation, record, action = deadlines_for_person()
    record.paused_at = escalation.raised_at
    record.save()
    action.done_at = escalation.raised_at + timedelta(days=1)
    action.save()
    response = signed_in(person).get(reverse("notifications:calendar_download"))
    assert events_in(response.content) == {}


def test_an_action_owner_sees_the_action_not_the_stage() -> None:
    person = PersonFactory()
    escalation = EscalationFactory(partnership=person.partnership)
    record = StageRecordFactory(escalation=escalation)
    ParticipantFactory(escalation=escalation, person=person, part="action_owner")
    action = ActionFactory(escalation=escalation, owner=person)
    response = signed_in(person).get(reverse("notifications:calendar_download"))
    assert set(events_in(response.content)) == {f"action-{action.pk}@escalate"}
    assert f"stage-{record.pk}@escalate" not in events_in(response.content)


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
