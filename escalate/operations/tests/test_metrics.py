"""/metrics/: the figures an operator alerts on, only for the scraper's token."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from escalate.directory.tests.factories import PartnershipFactory
from escalate.notifications.models import Channel, Notification, Status
from escalate.operations.models import ProcessKind
from escalate.operations.services import beat

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"


def _scrape(token: str | None = TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get("/metrics/", **headers)


def _values(text: str) -> dict[str, float]:
    return {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_metrics_are_hidden_without_the_token(settings, token) -> None:
    settings.METRICS_TOKEN = TOKEN
    assert _scrape(token).status_code == 404


def test_metrics_are_off_when_no_token_is_configured(settings) -> None:
    settings.METRICS_TOKEN = ""
    assert _scrape("").status_code == 404


def test_metrics_count_backlog_failures_and_processes(settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    partnership = PartnershipFactory()
    for n, status in enumerate([Status.PENDING] * 3 + [Status.FAILED] * 2 + [Status.SENT]):
        Notification.objects.create(
            partnership=partnership,
            event="test",
            event_key=f"test:{n}",
            recipient_email=f"person{n}@testshire.example.org",
            recipient_key=f"email:person{n}@testshire.example.org",
            channel=Channel.EMAIL,
            subject="Test",
            body="Test",
            status=status,
        )
    beat(kind=ProcessKind.SCHEDULER, instance="a:1")
    beat(kind=ProcessKind.WORKER, instance="a:2")
    beat(kind=ProcessKind.WORKER, instance="b:3")
    response = _scrape()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    values = _values(response.content.decode())
    assert values["escalate_outbox_pending"] == 3
    assert values["escalate_notifications_failed"] == 2
    assert values["escalate_workers_alive"] == 2
    assert values["escalate_schedulers_alive"] == 1
    assert 0 <= values["escalate_scheduler_lag_seconds"] < 60
    assert values["escalate_audit_verified_ok"] == -1  # never run


def test_metrics_show_the_last_verify_audit(settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    call_command("verify_audit")
    values = _values(_scrape().content.decode())
    assert values["escalate_audit_verified_ok"] == 1
    assert values["escalate_audit_verified_timestamp_seconds"] > 0
