"""Calendar addresses and notifications sent again are audited; the secret never is."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person
from escalate.directory.tests.factories import PersonFactory
from escalate.notifications.models import CalendarToken, Notification, Status
from escalate.notifications.services import enqueue_notification, send_again
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db


def test_creating_replacing_and_revoking_a_calendar_address_is_audited(client) -> None:  # type: ignore[no-untyped-def]
    person: Person = PersonFactory()
    sign_in(client, person)
    page = reverse("calendar:settings")
    shown = [
        client.post(page, {"action": "create"}).content.decode(),
        client.post(page, {"action": "create"}).content.decode(),
    ]
    client.post(page, {"action": "revoke"})
    rows = list(AuditEvent.objects.filter(actor=person).exclude(action="sign_in"))
    assert [row.action for row in rows] == [
        "calendar_token_created",
        "calendar_token_created",
        "calendar_tokens_revoked",
    ]
    first, second = CalendarToken.objects.filter(person=person).order_by("pk")
    assert rows[0].object_id == str(first.pk)
    assert (rows[1].old_values["active_tokens"], rows[1].new_values["active_tokens"]) == (1, 1)
    assert (rows[2].old_values["active_tokens"], rows[2].new_values["active_tokens"]) == (1, 0)
    assert rows[0].ip_address == "127.0.0.1"
    text = json.dumps([[r.old_values, r.new_values, r.reason, r.object_id] for r in rows])
    secrets = [re.search(r"/feed/([^/<]+)\.ics", html)[1] for html in shown]  # type: ignore[index]
    for secret in secrets:
        assert secret not in text
    assert first.token_hash not in text and second.token_hash not in text


def test_revoking_when_there_is_nothing_to_revoke_writes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    person: Person = PersonFactory()
    sign_in(client, person)
    client.post(reverse("calendar:settings"), {"action": "revoke"})
    assert not AuditEvent.objects.filter(action="calendar_tokens_revoked").exists()


def test_sending_failed_notifications_again_is_audited_per_partnership() -> None:
    admin: Person = PersonFactory(is_superuser=True, is_staff=True)
    people = [PersonFactory(), PersonFactory()]
    for person in people:
        enqueue_notification(
            partnership=person.partnership,  # type: ignore[arg-type]
            escalation=None,
            event="reminder",
            event_key=f"test:{person.pk}",
            subject="A reminder",
            body="Sign in.",
            recipient=person,
        )
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert len(ids) == 4  # email and in-app for each
    Notification.objects.filter(pk__in=ids).update(status=Status.FAILED)
    assert send_again(ids=ids, by=admin) == len(ids)
    rows = list(AuditEvent.objects.filter(action="notifications_sent_again"))
    assert {row.partnership_id for row in rows} == {p.partnership_id for p in people}
    assert all(row.actor == admin for row in rows)
    assert sorted(i for row in rows for i in row.new_values["ids"]) == sorted(ids)
    assert rows[0].new_values["status"] == "pending"
