"""Time-based one-time codes (TOTP, django-otp): enrolment, the QR code, checking a code."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.directory.models import Person

DEVICE_NAME = "Authenticator app"


def has_confirmed_device(person: Person) -> bool:
    return TOTPDevice.objects.filter(user=person, confirmed=True).exists()


def confirmed_device(person: Person) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=person, confirmed=True).order_by("pk").first()


def pending_device(person: Person) -> TOTPDevice:
    """The not-yet-confirmed device being set up; the same one until it is confirmed."""
    device = TOTPDevice.objects.filter(user=person, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=person, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps expect it typed: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """An inline SVG QR code of the otpauth:// address; made here, no outside service."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg: str = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan" ', 1)


def issuer() -> str:
    return str(getattr(settings, "OTP_TOTP_ISSUER", "Escalate"))


# The demo only (seed_demo): every demo person shares this authenticator key so someone trying
# the demo adds one entry to their app, or runs `manage.py demo_code`. Real accounts never get a
# preset key; they set up their own app at first sign-in.
DEMO_TOTP_SECRET = "ESCALATEDEMOTOTPKEYFORTRYINGIT22"


def demo_key_hex() -> str:
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


def give_demo_device(person: Person) -> TOTPDevice:
    """A confirmed device with the shared demo key (kept if the person already has one)."""
    device = TOTPDevice.objects.filter(user=person, name="Demo authenticator").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=person, name="Demo authenticator", key=demo_key_hex(), confirmed=True
        )
    return device


def demo_code() -> str:
    from django_otp.oath import totp

    return f"{totp(base64.b32decode(DEMO_TOTP_SECRET)):06d}"
