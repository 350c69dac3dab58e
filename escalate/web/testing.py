"""Test helpers: signing in as a person past every sign-in control; a rolled-back transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.directory.models import Person
from escalate.web.middleware import mark_signed_in


def sign_in(client: Client, person: Person) -> TOTPDevice:
    """Log the person in and mark the session as having given a one-time code.

    Works whether or not ESCALATE_REQUIRE_MFA is on. Returns the person's (confirmed) device.
    """
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=person, name="Test app", confirmed=True)
    client.force_login(person)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    mark_signed_in(session)  # as signing in does: the first page does not save the session
    session.save()
    return device


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction rolled back when the block ends, standing in for the test's own.

    Services open durable transactions, which refuse to nest in anyone else's; like Django's
    TestCase, this one is marked as the test's, so they nest in it as a savepoint.
    """
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]  # as TestCase marks its own
    with block:
        yield
        transaction.set_rollback(True)
