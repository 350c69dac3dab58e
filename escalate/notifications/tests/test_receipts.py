"""GOV.UK Notify's delivery receipts: taken only with our bearer token, applied to the message they
are about, failures shown to the business unit to send again, and no body makes a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from escalate.directory.models import Role
from escalate.directory.tests.factories import PersonFactory
from escalate.notifications.delivery import deliver_due_notifications
from escalate.notifications.models import Channel, Notification, Receipt, Status
from escalate.notifications.services import send_again
from escalate.notifications.tests.fake_notify import FakeNotify
from escalate.notifications.tests.helpers import escalation_raised_with_notice

pytestmark = pytest.mark.django_db

TOKEN = "receipts-token-for-tests-0123456789"
URL = "/notifications/notify/receipts/"


@pytest.fixture(autouse=True)
def _callback_token(settings: Settings) -> None:
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN


def _sent_through_notify() -> Notification:
    escalation_raised_with_notice()
    deliver_due_notifications()
    return Notification.objects.get(channel=Channel.EMAIL)


def _receipt(row: Notification, status: str, **extra: Any) -> dict[str, Any]:
    # The shape of Notify's callback (docs.notifications.service.gov.uk, "Callbacks").
    return {
        "id": row.provider_id,
        "reference": f"notification:{row.pk}",
        "to": row.recipient_email,
        "status": status,
        "created_at": "2026-11-28T09:00:00.000000Z",
        "completed_at": "2026-11-28T09:00:05.000000Z",
        "sent_at": "2026-11-28T09:00:01.000000Z",
        "notification_type": "email",
        "template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
        "template_version": 1,
        **extra,
    }


def _post(body: Any, token: str = TOKEN, **options: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(raise_request_exception=False).post(
        URL, body, content_type="application/json", headers=headers, **options
    )


def test_a_delivered_receipt_is_recorded_on_the_message(fake_notify: FakeNotify) -> None:
    row = _sent_through_notify()
    [sent] = fake_notify.sent
    assert row.provider_id == sent["id"]  # Notify's id, kept to match the receipt
    assert _post(_receipt(row, "delivered")).status_code == 204
    row.refresh_from_db()
    assert row.receipt == Receipt.DELIVERED
    assert row.receipt_at is not None
    assert (row.receipt_at.hour, row.receipt_at.second) == (9, 5)
    assert row.status == Status.SENT


@pytest.mark.parametrize("status", ["permanent-failure", "temporary-failure", "technical-failure"])
def test_a_failure_receipt_puts_the_notice_before_the_business_unit(
    fake_notify: FakeNotify, status: str
) -> None:
    row = _sent_through_notify()
    assert _post(_receipt(row, status)).status_code == 204
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.receipt == status
    manager = PersonFactory(agency__partnership=row.partnership, roles=[Role.BUSINESS_MANAGER])
    client = Client()
    client.force_login(manager)
    page = client.get(reverse("notifications:failed")).content.decode()
    assert Receipt(status).label in page
    assert row.recipient_email in page


def test_without_the_token_nothing_is_taken(fake_notify: FakeNotify, settings: Settings) -> None:
    row = _sent_through_notify()
    body = _receipt(row, "permanent-failure")
    for token in ("", "wrong", TOKEN[:-1], TOKEN + "x"):
        response = _post(body, token=token)
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] == "unauthorised"
    settings.NOTIFY_CALLBACK_TOKEN = ""  # receipts turned off: no token works, not even none
    assert _post(body, token="").status_code == 401
    row.refresh_from_db()
    assert (row.status, row.receipt) == (Status.SENT, "")


def test_a_late_receipt_for_a_message_sent_again_changes_nothing(
    fake_notify: FakeNotify,
) -> None:
    row = _sent_through_notify()
    first = _receipt(row, "temporary-failure")
    assert _post(first).status_code == 204
    send_again(ids=[row.pk])
    deliver_due_notifications()
    row.refresh_from_db()
    assert (row.status, row.receipt) == (Status.SENT, "")
    assert row.provider_id != first["id"]
    assert _post(first).status_code == 204  # Notify retrying its callback: accepted, ignored
    row.refresh_from_db()
    assert (row.status, row.receipt) == (Status.SENT, "")
    # Nor does a receipt naming another message's id, or no message at all.
    assert _post({**_receipt(row, "permanent-failure"), "id": "0" * 36}).status_code == 204
    assert (
        _post({**_receipt(row, "delivered"), "reference": "notification:999999"}).status_code == 204
    )
    row.refresh_from_db()
    assert (row.status, row.receipt) == (Status.SENT, "")


HOSTILE_BODIES = (
    b"{not json",
    b"",
    b"null",
    b"[]",
    b'"delivered"',
    b"[" * 5_000 + b"]" * 5_000,
    b"\xff\xfe\x00{",
    b'{"id": "a\\u0000b", "reference": "notification:1", "status": "delivered"}',
    b'{"id": "\\ud800", "reference": "notification:1\\u0000", "status": "delivered"}',
    b'{"id": "abc", "reference": "notification:99999999999999999999999", "status": "delivered"}',
    b'{"id": "abc", "reference": "notification:-1", "status": "delivered"}',
    b'{"id": "abc", "reference": "notification:\\u0661", "status": "delivered"}',
    b'{"id": "abc", "reference": "notification:1", "status": "delivered\\u0000"}',
    b'{"id": 1, "reference": ["notification:1"], "status": {"x": 1}}',
    b'{"id": "' + b"a" * 100_000 + b'", "reference": "notification:1", "status": "delivered"}',
)


@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_no_body_makes_a_server_error(body: bytes) -> None:
    response = _post(body)
    assert response.status_code in {400, 413}
    assert response["Content-Type"] == "application/json"


def test_odd_dates_are_not_a_server_error(fake_notify: FakeNotify) -> None:
    row = _sent_through_notify()
    for completed in ("2026-02-31T00:00:00Z", "2026-11-28T09:00:05", "yesterday", "\x00", 12, None):
        assert _post(_receipt(row, "delivered", completed_at=completed)).status_code == 204
    row.refresh_from_db()
    assert row.receipt == Receipt.DELIVERED


def test_deploy_checks_warn_when_receipts_are_off_or_weakly_guarded(settings: Settings) -> None:
    from escalate.notifications.checks import notify_receipts_are_taken_safely

    settings.NOTIFICATIONS_EMAIL_PROVIDER = "notify"
    settings.NOTIFY_CALLBACK_TOKEN = ""
    assert [w.id for w in notify_receipts_are_taken_safely()] == ["escalate.W020"]
    settings.NOTIFY_CALLBACK_TOKEN = "short-token"
    assert [w.id for w in notify_receipts_are_taken_safely()] == ["escalate.W021"]
    settings.NOTIFY_CALLBACK_TOKEN = "x" * 40
    assert notify_receipts_are_taken_safely() == []
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "django"
    settings.NOTIFY_CALLBACK_TOKEN = ""
    assert notify_receipts_are_taken_safely() == []
