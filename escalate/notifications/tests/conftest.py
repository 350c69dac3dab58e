"""Fixtures for notification tests: a real local SMTP server and a fake GOV.UK Notify."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from escalate.notifications.tests.fake_notify import FakeNotify
from escalate.notifications.tests.smtp_server import LocalSMTPServer


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[LocalSMTPServer]:
    """A running aiosmtpd server that Django's SMTP backend is pointed at."""
    server = LocalSMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "django"
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_notify(settings: Settings) -> Iterator[FakeNotify]:
    """A fake Notify on loopback, with the settings that make email go through it."""
    fake = FakeNotify()
    fake.start()
    settings.NOTIFICATIONS_EMAIL_PROVIDER = "notify"
    settings.NOTIFY_API_KEY = fake.api_key
    settings.NOTIFY_EMAIL_TEMPLATE_ID = fake.template_id
    settings.NOTIFY_BASE_URL = fake.base_url
    try:
        yield fake
    finally:
        fake.stop()
