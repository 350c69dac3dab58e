"""The outbox admin is scoped to the partnership and can send failed notifications again."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.directory.models import Role
from escalate.directory.tests.factories import PersonFactory
from escalate.notifications.models import Notification, Status
from escalate.notifications.tests.helpers import escalation_raised_with_notice

pytestmark = pytest.mark.django_db


def test_partnership_admin_sees_only_their_partnerships_notifications() -> None:
    mine = escalation_raised_with_notice()
    theirs = escalation_raised_with_notice()
    admin_person = PersonFactory(
        partnership=mine.partnership,
        agency__partnership=mine.partnership,
        is_staff=True,
        roles=[Role.ADMINISTRATOR],
    )
    client = Client()
    client.force_login(admin_person)
    page = client.get("/admin/notifications/notification/").content.decode()
    assert mine.reference in page
    assert theirs.reference not in page


def test_send_again_action_requeues_failed_rows() -> None:
    escalation = escalation_raised_with_notice()
    Notification.objects.update(status=Status.FAILED, attempts=8)
    superuser = PersonFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    ids = list(Notification.objects.values_list("pk", flat=True))
    response = client.post(
        "/admin/notifications/notification/",
        {"action": "send_selected_again", "_selected_action": ids},
    )
    assert response.status_code == 302
    assert set(Notification.objects.values_list("status", "attempts")) == {(Status.PENDING, 0)}
    assert escalation.notifications.count() == 2
