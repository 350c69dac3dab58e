"""The pages: starting a partnership, asking for a reset, setting a password from a link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from escalate.accounts import services
from escalate.accounts.models import AccountLink
from escalate.audit.models import AuditEvent
from escalate.directory.models import Partnership, Person
from escalate.directory.tests.factories import PersonFactory
from escalate.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _superuser() -> Person:
    return Person.objects.create_superuser("platform@escalate.example.org", "a-long-pass-2026")


def test_a_platform_administrator_starts_a_partnership_from_the_page(client: Client) -> None:
    client.force_login(_superuser())
    response = client.post(
        "/platform/partnerships/new/",
        {
            "name": "Hillside Partnership",
            "nation": "wales",
            "covers": "both",
            "reference_prefix": "hil",
            "manager_name": "Hal Manager",
            "manager_email": "hal@hillside.example.org",
        },
    )
    assert response.status_code == 200
    assert b"Hillside Partnership is started" in response.content
    partnership = Partnership.objects.get(name="Hillside Partnership")
    assert partnership.reference_prefix == "HIL" and partnership.nation == "wales"
    assert client.get("/platform/partnerships/").content.count(b"Hillside Partnership") == 1


def test_bad_partnership_input_is_refused_keeping_what_was_typed(client: Client) -> None:
    client.force_login(_superuser())
    response = client.post(
        "/platform/partnerships/new/",
        {"name": "Typed name", "nation": "mars", "reference_prefix": "toolongprefix"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Typed name" in text
    assert "Select a valid choice" in text or "Select the nation" in text
    assert "Enter the business manager&#x27;s email address" in text
    assert not Partnership.objects.exists()


def test_reset_page_says_the_same_whether_or_not_the_address_exists(client: Client) -> None:
    PersonFactory(email="known@testshire.example.org")
    known = client.post("/account/password/reset/", {"email": "known@testshire.example.org"})
    unknown = client.post("/account/password/reset/", {"email": "unknown@testshire.example.org"})
    strip = re.compile(rb"(known|unknown)@testshire\.example\.org|csrfmiddlewaretoken[^>]*")
    assert known.status_code == unknown.status_code == 200
    assert strip.sub(b"", known.content) == strip.sub(b"", unknown.content)
    assert AccountLink.objects.count() == 1
    bad = client.post("/account/password/reset/", {"email": "not an email"})
    assert b"Enter an email address in the correct format" in bad.content


def test_setting_a_password_from_a_link_then_signing_in(client: Client) -> None:
    person = PersonFactory(email="amy@testshire.example.org")
    services.request_password_reset(email=person.email)
    body = Notification.objects.get(recipient=person).body
    path = re.search(r"/account/set-password/[^/]+/", body)
    assert path
    page = client.get(path.group(0))
    assert page.status_code == 200 and b"Choose a new password" in page.content
    mismatch = client.post(
        path.group(0), {"new_password1": "a-long-pass-2026-x", "new_password2": "other"}
    )
    assert b"The two passwords do not match" in mismatch.content
    done = client.post(
        path.group(0),
        {"new_password1": "river-boat-lantern-2026", "new_password2": "river-boat-lantern-2026"},
    )
    assert done.status_code == 302 and done["Location"] == "/account/password/set/"
    assert client.login(username=person.email, password="river-boat-lantern-2026")
    again = client.get(path.group(0))
    assert again.status_code == 404 and b"This link has expired" in again.content


@pytest.mark.parametrize("token", ["nonsense", "x" * 300, "%00", "a" * 43])
def test_an_unknown_or_malformed_link_is_a_clear_404(client: Client, token: str) -> None:
    response = client.get(f"/account/set-password/{token}/")
    assert response.status_code == 404
    if token == "%00":  # a control character in a path: no such page (web/hostile_input.py)
        assert b"Page not found" in response.content
    else:
        assert b"This link has expired" in response.content


def test_reset_requests_from_one_address_are_limited_and_audited_once(
    client: Client, settings: Any
) -> None:
    settings.AXES_ENABLED = True  # the suite's switch for the sign-in throttles
    settings.PASSWORD_RESET_ADDRESS_LIMIT = "3/hour"
    PersonFactory(email="known@testshire.example.org")
    address = {"REMOTE_ADDR": "198.51.100.91"}
    for email in ("a@testshire.example.org", "not an email", "known@testshire.example.org"):
        assert (
            client.post("/account/password/reset/", {"email": email}, **address).status_code == 200
        )
    refused = client.post(
        "/account/password/reset/", {"email": "b@testshire.example.org"}, **address
    )
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert b"Too many requests to reset a password" in refused.content
    again = client.post(
        "/account/password/reset/", {"email": "known@testshire.example.org"}, **address
    )
    assert again.status_code == 429
    # The refusal says nothing about the address: the same page for a known and unknown one.
    strip = re.compile(rb"(known|b)@testshire\.example\.org|csrfmiddlewaretoken[^>]*")
    assert strip.sub(b"", refused.content) == strip.sub(b"", again.content)
    assert AccountLink.objects.count() == 1  # only the request before the limit sent a link
    [event] = AuditEvent.objects.filter(action="password_reset_refused_address_limit")
    assert event.ip_address == "198.51.100.91"
    # Another address is not affected; the page itself still shows.
    other = client.post(
        "/account/password/reset/", {"email": "c@testshire.example.org"}, REMOTE_ADDR="203.0.113.91"
    )
    assert other.status_code == 200
    assert client.get("/account/password/reset/", **address).status_code == 200


def test_a_malformed_reset_limit_stops_start_up(settings: Any) -> None:
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    settings.PASSWORD_RESET_ADDRESS_LIMIT = "ten a minute"
    with pytest.raises(ImproperlyConfigured, match="PASSWORD_RESET_ADDRESS_LIMIT"):
        apps.get_app_config("accounts").ready()
