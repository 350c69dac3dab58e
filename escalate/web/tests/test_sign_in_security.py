"""Throttled sign-in, strong passwords, session key rotation, idle and absolute timeouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalate.audit.models import AuditEvent
from escalate.directory.tests.factories import TEST_PASSWORD, PersonFactory
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db
START = "2026-06-01 09:00:00 +0000"


@pytest.fixture(autouse=True)
def _controls_on(settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    settings.AXES_ENABLED = True


def _try(client: Client, email: str, password: str):
    return client.post("/sign-in/", {"username": email, "password": password})


def test_five_wrong_passwords_lock_the_account_with_a_clear_message_until_the_window_ends() -> None:
    person = PersonFactory(email="locked@testshire.example.org")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            _try(client, person.email, "not-my-password")
        response = _try(client, person.email, TEST_PASSWORD)  # right password, still locked
        page = response.content.decode()
        assert response.status_code == 429
        assert "You cannot sign in for 15 minutes" in page
        assert "Try again after 10:15am on 1 June 2026" in page  # 09:15 UTC is 10:15 BST
        assert "_auth_user_id" not in client.session

        clock.shift(timedelta(minutes=14))
        response = _try(client, person.email, TEST_PASSWORD)
        assert response.status_code == 429
        assert "Try again after 10:15am" in response.content.decode()  # not pushed back

        clock.shift(timedelta(minutes=2))
        response = _try(client, person.email, TEST_PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(person.pk)
    assert AuditEvent.objects.filter(action="sign_in_refused_locked_out").exists()


def test_wrong_passwords_below_the_limit_do_not_lock() -> None:
    person = PersonFactory()
    client = Client()
    for _ in range(4):
        _try(client, person.email, "not-my-password")
    assert _try(client, person.email, TEST_PASSWORD).status_code == 302


def test_the_session_key_changes_at_sign_in() -> None:
    person = PersonFactory()
    client = Client()
    session = client.session
    session["before"] = "sign-in"
    session.save()
    before = session.session_key
    assert _try(client, person.email, TEST_PASSWORD).status_code == 302
    assert client.session.session_key != before


def test_a_long_passphrase_is_accepted_and_works() -> None:
    person = PersonFactory()
    client = Client()
    sign_in(client, person)
    passphrase = "correct horse battery staple " * 4  # 116 characters
    response = client.post(
        "/account/password/",
        {"old_password": TEST_PASSWORD, "new_password1": passphrase, "new_password2": passphrase},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session survives the change
    person.refresh_from_db()
    assert person.check_password(passphrase)
    assert _try(Client(), person.email, passphrase).status_code == 302
    assert AuditEvent.objects.filter(action="password_changed", actor=person).exists()


@pytest.mark.parametrize("common", ["qwerty123456", "1q2w3e4r5t6y"])
def test_a_common_password_is_refused_with_a_reason(common: str) -> None:
    person = PersonFactory()
    client = Client()
    sign_in(client, person)
    response = client.post(
        "/account/password/",
        {"old_password": TEST_PASSWORD, "new_password1": common, "new_password2": common},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "This password is too common." in page
    person.refresh_from_db()
    assert person.check_password(TEST_PASSWORD)


def test_a_wrong_current_password_is_explained() -> None:
    person = PersonFactory()
    client = Client()
    sign_in(client, person)
    page = client.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": "x" * 70, "new_password2": "x" * 70},
    ).content.decode()
    assert "Your current password is wrong" in page


def test_changing_the_password_ends_the_persons_other_sessions() -> None:
    person = PersonFactory()
    phone, laptop = Client(), Client()
    sign_in(phone, person)
    sign_in(laptop, person)
    new = "a brand new passphrase for testing 2026"
    laptop.post(
        "/account/password/",
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert laptop.get("/").status_code == 200
    assert phone.get("/")["Location"].startswith("/sign-in/")


def test_thirty_idle_minutes_end_the_session() -> None:
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    person = PersonFactory()
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, person)
        clock.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200  # activity restarts the 30 minutes
        clock.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")


def test_activity_keeps_the_session_alive_though_it_is_saved_at_most_once_a_minute() -> None:
    person = PersonFactory()
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, person)
        client.get("/")
        with CaptureQueriesContext(connection) as within_the_minute:
            clock.shift(timedelta(seconds=20))
            assert client.get("/").status_code == 200
        writes = [
            q["sql"] for q in within_the_minute.captured_queries if "django_session" in q["sql"]
        ]
        assert not [sql for sql in writes if sql.startswith(("UPDATE", "INSERT"))]
        # Active every 10 minutes for an hour: each request after a minute pushes the
        # 30-minute idle timeout back.
        for _ in range(6):
            clock.shift(timedelta(minutes=10))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200


def test_a_session_ends_12_hours_after_sign_in_however_active() -> None:
    person = PersonFactory()
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, person)
        signed_in = timezone.now()
        while timezone.now() - signed_in < timedelta(hours=11, minutes=50):
            clock.shift(timedelta(minutes=20))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=20))  # 12 hours 10 minutes after sign-in
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")
        assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="session_expired", actor=person).exists()


def test_disabling_a_person_refuses_their_next_request_in_every_session() -> None:
    person = PersonFactory()
    phone, laptop = Client(), Client()
    sign_in(phone, person)
    sign_in(laptop, person)
    assert phone.get("/").status_code == 200
    person.is_active = False
    person.save(update_fields=["is_active"])
    for client in (phone, laptop):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")


def test_a_disabled_person_cannot_sign_in() -> None:
    person = PersonFactory(is_active=False)
    response = _try(Client(), person.email, TEST_PASSWORD)
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()
