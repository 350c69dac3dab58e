"""One client address per request, from a configured number of trusted proxy hops.

Sign-in lockout (django-axes), the audit trail and the sign-in limit per address all take the
address from `escalate.client_address`; a client cannot choose it with a forged header.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.client_address import resolve_client_address
from escalate.directory.tests.factories import TEST_PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"  # the Application Gateway's address inside the virtual network
ADDRESS_A = "198.51.100.7"
ADDRESS_B = "203.0.113.20"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    settings.AXES_ENABLED = True
    settings.TRUSTED_PROXY_HOPS = 1
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]


def _sign_in(email: str, password: str, *, client_address: str, client: Client | None = None):
    # Through the proxy: the peer is the proxy, which appends the address it saw.
    return (client or Client()).post(
        "/sign-in/",
        {"username": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_address,
    )


def test_five_wrong_passwords_from_one_address_do_not_lock_the_person_out_elsewhere() -> None:
    person = PersonFactory()
    for _ in range(5):
        _sign_in(person.email, "not-my-password", client_address=ADDRESS_A)
    assert _sign_in(person.email, TEST_PASSWORD, client_address=ADDRESS_A).status_code == 429

    client = Client()
    response = _sign_in(person.email, TEST_PASSWORD, client_address=ADDRESS_B, client=client)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


def test_a_forged_forwarded_header_from_a_direct_client_does_not_choose_the_address() -> None:
    person = PersonFactory()
    Client().post(
        "/sign-in/",
        {"username": person.email, "password": "not-my-password"},
        REMOTE_ADDR=ADDRESS_B,  # not one of our proxies
        HTTP_X_FORWARDED_FOR="192.0.2.66",
    )
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.ip_address == ADDRESS_B
    assert AccessAttempt.objects.get().ip_address == ADDRESS_B


def test_entries_the_client_sent_before_our_proxy_are_ignored() -> None:
    person = PersonFactory()
    _sign_in(person.email, "not-my-password", client_address=f"192.0.2.66, {ADDRESS_A}")
    assert AuditEvent.objects.get(action="sign_in_failed").ip_address == ADDRESS_A


def test_the_lockout_table_and_the_audit_row_record_the_same_address() -> None:
    person = PersonFactory()
    for _ in range(5):
        _sign_in(person.email, "not-my-password", client_address=ADDRESS_A)
    _sign_in(person.email, TEST_PASSWORD, client_address=ADDRESS_A)  # refused, locked out
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address == ADDRESS_A
    addresses = set(
        AuditEvent.objects.filter(action__startswith="sign_in_").values_list(
            "ip_address", flat=True
        )
    )
    assert addresses == {ADDRESS_A}
    assert AuditEvent.objects.filter(action="sign_in_refused_locked_out").exists()


def test_one_address_trying_many_accounts_is_stopped(settings) -> None:
    settings.SIGN_IN_ADDRESS_LIMIT = "3/hour"
    people = PersonFactory.create_batch(4)
    for person in people[:3]:
        response = _sign_in(person.email, "Spring2026!", client_address=ADDRESS_A)
        assert response.status_code == 200  # a wrong password, one try each: no account locked
    response = _sign_in(people[3].email, TEST_PASSWORD, client_address=ADDRESS_A)
    assert response.status_code == 429
    assert "Too many wrong passwords from your network" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert _sign_in(people[0].email, TEST_PASSWORD, client_address=ADDRESS_A).status_code == 429
    # The refusal is audited once, with the address, however many follow.
    [refused] = AuditEvent.objects.filter(action="sign_in_refused_address_limit")
    assert refused.ip_address == ADDRESS_A
    # Nobody else is affected, and the account itself is not locked.
    assert _sign_in(people[3].email, TEST_PASSWORD, client_address=ADDRESS_B).status_code == 302


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "hops", "expected"),
    [
        # No proxy: the peer, whatever the header says.
        ("198.51.100.7", "192.0.2.66", 0, "198.51.100.7"),
        # Azure Front Door then Application Gateway (2 hops): Front Door appends the client,
        # the gateway appends Front Door's address; anything the client sent is further left.
        ("10.0.0.5", "192.0.2.66, 198.51.100.7, 147.243.0.10", 2, "198.51.100.7"),
        # Application Gateway only (1 hop).
        ("10.0.0.5", "192.0.2.66, 198.51.100.7", 1, "198.51.100.7"),
        # Reached the gateway without Front Door: the one entry is the gateway's own.
        ("10.0.0.5", "198.51.100.7", 2, "198.51.100.7"),
        # A peer that is not our proxy cannot choose its address.
        ("203.0.113.20", "192.0.2.66", 1, "203.0.113.20"),
        # Rubbish where our proxy's entry should be: the proxy's address, never the rubbish.
        ("10.0.0.5", "192.0.2.66, not-an-address", 1, "10.0.0.5"),
        ("10.0.0.5", "", 1, "10.0.0.5"),
        ("10.0.0.5", "2001:db8::1", 1, "2001:db8::1"),
        # Application Gateway writes the client's port too.
        ("10.0.0.5", "198.51.100.7:50123", 1, "198.51.100.7"),
        ("10.0.0.5", "[2001:db8::1]:50123", 1, "2001:db8::1"),
        ("", "", 1, None),
    ],
)
def test_the_client_is_the_entry_our_outermost_proxy_wrote(
    settings, remote_addr: str, forwarded_for: str, hops: int, expected: str | None
) -> None:
    settings.TRUSTED_PROXY_NETWORKS = ["10.0.0.0/8"]
    found = resolve_client_address(remote_addr=remote_addr, forwarded_for=forwarded_for, hops=hops)
    assert found == expected
