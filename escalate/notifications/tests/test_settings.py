"""The notification settings page: a manager chooses one email a day; others are told how they
get emails."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.directory.models import Level, Person
from escalate.directory.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

URL = "/notifications/settings/"


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_manager_chooses_one_email_a_day_and_back() -> None:
    manager = PersonFactory(level=Level.LINE_MANAGER)
    client = signed_in(manager)
    page = client.get(URL).content.decode()
    assert "How do you want emails about escalations?" in page
    assert "One email a day listing every escalation with news" in page
    assert "Urgent notices (a child or adult at immediate risk) are always sent at once" in page
    response = client.post(URL, {"emails": "daily"})
    assert response.status_code == 302 and response["Location"] == URL
    manager.refresh_from_db()
    assert manager.daily_digest
    assert "You get one email a day about escalations" in client.get(URL).content.decode()
    assert AuditEvent.objects.filter(action="daily_digest_chosen", object_id=str(manager.pk))
    client.post(URL, {"emails": "each"})
    manager.refresh_from_db()
    assert not manager.daily_digest


def test_no_choice_is_an_error_in_govuk_style() -> None:
    response = signed_in(PersonFactory(level=Level.SENIOR_MANAGER)).post(URL, {})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Notification settings" in page
    assert "Select how you want emails about escalations" in page


def test_a_practitioner_is_told_how_they_get_emails_and_cannot_choose_a_daily_one() -> None:
    practitioner = PersonFactory(level=Level.PRACTITIONER)
    client = signed_in(practitioner)
    page = client.get(URL).content.decode()
    assert "Managers can choose one email a day instead." in page
    assert 'name="emails"' not in page
    assert client.post(URL, {"emails": "daily"}).status_code == 200
    practitioner.refresh_from_db()
    assert not practitioner.daily_digest
