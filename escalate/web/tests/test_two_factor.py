"""Every account gives a one-time code (TOTP) at each sign-in; codes work once."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.audit.models import AuditEvent
from escalate.directory.models import Role
from escalate.directory.tests.factories import TEST_PASSWORD, PersonFactory
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_on(settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _password_sign_in(client: Client, person) -> None:
    response = client.post("/sign-in/", {"username": person.email, "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_first_sign_in_leads_to_set_up_with_a_qr_code_and_the_secret_as_text() -> None:
    person = PersonFactory()
    client = Client()
    _password_sign_in(client, person)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/two-factor/set-up/")
    page = response.content.decode()
    assert "<svg" in page and "<path" in page  # drawn here, not fetched from a service
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    import base64

    assert base64.b32decode(
        secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8)
    ) == (device.bin_key)


def test_set_up_is_confirmed_by_a_code_and_then_the_person_gets_in() -> None:
    person = PersonFactory()
    client = Client()
    _password_sign_in(client, person)
    client.get("/account/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=person)
    response = client.post("/account/two-factor/set-up/", {"code": _code(device), "next": "/"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa_set_up", actor=person).exists()


def test_each_sign_in_asks_for_a_code() -> None:
    person = PersonFactory()
    device = TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    client = Client()
    _password_sign_in(client, person)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/?next=/")
    response = client.post("/account/two-factor/", {"code": _code(device), "next": "/"})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_session_id_changes_when_the_code_is_given() -> None:
    person = PersonFactory()
    device = TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    client = Client()
    _password_sign_in(client, person)
    after_password = client.session.session_key
    client.post("/account/two-factor/", {"code": _code(device), "next": "/"})
    assert client.session.session_key != after_password
    assert client.get("/").status_code == 200
    # The id known before the code no longer reaches anything.
    stale = Client()
    stale.cookies["sessionid"] = after_password
    assert stale.get("/").status_code == 302


def test_the_session_id_changes_when_the_authenticator_is_set_up() -> None:
    person = PersonFactory()
    client = Client()
    _password_sign_in(client, person)
    client.get("/account/two-factor/set-up/")
    after_password = client.session.session_key
    device = TOTPDevice.objects.get(user=person)
    client.post("/account/two-factor/set-up/", {"code": _code(device), "next": "/"})
    assert client.session.session_key != after_password
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_explained() -> None:
    person = PersonFactory()
    device = TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    client = Client()
    _password_sign_in(client, person)
    wrong = f"{(int(_code(device)) + 1) % 1000000:06d}"
    page = client.post("/account/two-factor/", {"code": wrong}).content.decode()
    assert "There is a problem" in page
    assert "The code is wrong or has already been used" in page
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="mfa_failed", actor=person).exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [("", "Enter the 6-digit code"), ("12ab56", "The code must be 6 digits"), ("1234", "6 digits")],
)
def test_malformed_codes_get_a_specific_message(typed: str, message: str) -> None:
    person = PersonFactory()
    TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    client = Client()
    _password_sign_in(client, person)
    page = client.post("/account/two-factor/", {"code": typed}).content.decode()
    assert message in page
    assert f'value="{typed}"' in page or typed == ""


def test_a_code_cannot_be_used_twice() -> None:
    person = PersonFactory()
    device = TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    with time_machine.travel("2026-06-01 10:00:05 +0000", tick=False):
        code = _code(device)
        first = Client()
        _password_sign_in(first, person)
        assert first.post("/account/two-factor/", {"code": code})["Location"] == "/"

        # Someone who saw the code (and knows the password) tries it in the same 30 seconds.
        second = Client()
        _password_sign_in(second, person)
        page = second.post("/account/two-factor/", {"code": code}).content.decode()
        assert "has already been used" in page
        assert second.get("/").status_code == 302


def test_an_unverified_session_reaches_only_the_code_pages_and_sign_out() -> None:
    person = PersonFactory(roles=[Role.AUDITOR])
    TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    client = Client()
    _password_sign_in(client, person)
    for url in ("/", "/audit/", "/account/password/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/account/two-factor/"), url
    assert client.get("/account/two-factor/").status_code == 200
    assert client.post("/sign-out/").status_code == 302
    assert client.get("/")["Location"].startswith("/sign-in/")


def test_set_up_cannot_replace_a_confirmed_device_with_only_a_password() -> None:
    person = PersonFactory()
    TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    client = Client()
    _password_sign_in(client, person)
    response = client.get("/account/two-factor/set-up/")
    assert response["Location"].startswith("/account/two-factor/?")
    assert TOTPDevice.objects.filter(user=person).count() == 1


def test_the_test_helper_signs_in_past_the_code_step() -> None:
    person = PersonFactory()
    client = Client()
    sign_in(client, person)
    assert client.get("/").status_code == 200


def test_a_next_address_off_the_site_is_ignored() -> None:
    person = PersonFactory()
    device = TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    client = Client()
    _password_sign_in(client, person)
    response = client.post(
        "/account/two-factor/", {"code": _code(device), "next": "https://evil.example.org/"}
    )
    assert response["Location"] == "/"


def test_demo_people_sign_in_with_the_printed_demo_key(capsys) -> None:
    from django.core.management import call_command

    from escalate.directory.demo import DEMO_PASSWORD
    from escalate.web.mfa import DEMO_TOTP_SECRET, demo_code

    call_command("seed_demo")
    assert DEMO_TOTP_SECRET in capsys.readouterr().out
    client = Client()
    client.post(
        "/sign-in/", {"username": "amira.khan@riverside.example.org", "password": DEMO_PASSWORD}
    )
    assert client.get("/")["Location"].startswith("/account/two-factor/")
    assert client.post("/account/two-factor/", {"code": demo_code()})["Location"] == "/"
    assert client.get("/").status_code == 200
