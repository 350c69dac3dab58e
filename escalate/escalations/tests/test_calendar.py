"""One person's deadline calendar: the download, the private feed address and what they show."""

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
from escalate.notifications.models import CalendarToken
from escalate.policies.calendar import end_of_day

pytestmark = pytest.mark.django_db


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


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
    response = signed_in(person).get(reverse("calendar:download"))
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
    response = signed_in(PersonFactory()).get(reverse("calendar:download"))
    assert events_in(response.content) == {}


def test_feed_address_works_without_signing_in_until_revoked() -> None:
    person, _escalation, record, _action = deadlines_for_person()
    client = signed_in(person)
    page = client.post(reverse("calendar:settings"), {"action": "create"}).content.decode()
    feed = _feed_in(page)

    anonymous = Client()
    response = anonymous.get(feed)
    assert response.status_code == 200
    assert f"stage-{record.pk}@escalate" in events_in(response.content)

    client.post(reverse("calendar:settings"), {"action": "revoke"})
    assert anonymous.get(feed).status_code == 404
    assert "Create a calendar address" in client.get(reverse("calendar:settings")).content.decode()


def _feed_in(page: str) -> str:
    """The feed's path, from the address shown once on the page that created it."""
    found = re.search(r'<code class="app-calendar-address">https?://[^/]+(/[^<]+)</code>', page)
    assert found, "the new address is not shown"
    return found[1]


def test_the_address_is_shown_once_and_only_its_hash_is_stored() -> None:
    person = PersonFactory()
    client = signed_in(person)
    created = client.post(reverse("calendar:settings"), {"action": "create"})
    assert created.status_code == 200
    feed = _feed_in(created.content.decode())
    secret = feed.removeprefix("/notifications/calendar/feed/").removesuffix(".ics")
    row = CalendarToken.objects.get(person=person)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not CalendarToken.objects.filter(token_hash=secret).exists()
    later = client.get(reverse("calendar:settings")).content.decode()
    assert secret not in later
    assert "Replace with a new address" in later
    assert Client().get(feed).status_code == 200
    # Someone holding the stored hash (a database reader) cannot use it as the address.
    by_hash = reverse("calendar:feed", kwargs={"token": row.token_hash})
    assert Client().get(by_hash).status_code == 404


def test_a_new_address_replaces_the_old_one() -> None:
    person = PersonFactory()
    client = signed_in(person)
    old = _feed_in(client.post(reverse("calendar:settings"), {"action": "create"}).content.decode())
    new = _feed_in(client.post(reverse("calendar:settings"), {"action": "create"}).content.decode())
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_an_unknown_token_is_not_found() -> None:
    response = Client().get(reverse("calendar:feed", kwargs={"token": "guess"}))
    assert response.status_code == 404


def test_a_deactivated_persons_feed_stops_working() -> None:
    person = PersonFactory()
    page = signed_in(person).post(reverse("calendar:settings"), {"action": "create"})
    feed = _feed_in(page.content.decode())
    person.is_active = False
    person.save()
    assert Client().get(feed).status_code == 404


def test_download_needs_sign_in() -> None:
    response = Client().get(reverse("calendar:download"))
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_paused_and_finished_stages_are_not_in_the_calendar() -> None:
    person, escalation, record, action = deadlines_for_person()
    record.paused_at = escalation.raised_at
    record.save()
    action.done_at = escalation.raised_at + timedelta(days=1)
    action.save()
    response = signed_in(person).get(reverse("calendar:download"))
    assert events_in(response.content) == {}


def test_an_action_owner_sees_the_action_not_the_stage() -> None:
    person = PersonFactory()
    escalation = EscalationFactory(partnership=person.partnership)
    record = StageRecordFactory(escalation=escalation)
    ParticipantFactory(escalation=escalation, person=person, part="action_owner")
    action = ActionFactory(escalation=escalation, owner=person)
    response = signed_in(person).get(reverse("calendar:download"))
    assert set(events_in(response.content)) == {f"action-{action.pk}@escalate"}
    assert f"stage-{record.pk}@escalate" not in events_in(response.content)
