"""Test helpers for signing in as a person, past every sign-in control."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.directory.models import Person


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
    session.save()
    return device
