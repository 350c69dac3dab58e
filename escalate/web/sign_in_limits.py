"""Password spraying: too many wrong passwords from one address, whatever the accounts.

django-axes locks an account for one address (`AXES_LOCKOUT_PARAMETERS`), so nobody can lock a
person out from elsewhere; this limit stops one address trying a few passwords on many accounts.
Failures are counted per client address (`escalate.client_address`) in the shared cache.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from escalate.client_address import client_address
from escalate.ratelimit import check, count_and_check

SETTING = "SIGN_IN_ADDRESS_LIMIT"


def _key(request: HttpRequest) -> str:
    return f"sign-in-failures:{client_address(request) or 'unknown'}"


def seconds_until_address_may_sign_in(request: HttpRequest) -> int | None:
    """None if this address may try to sign in; else how long it must wait."""
    if not getattr(settings, "AXES_ENABLED", True):
        return None  # the suite's switch for every sign-in throttle
    return check(_key(request), settings.SIGN_IN_ADDRESS_LIMIT, setting=SETTING)


def count_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is not None and getattr(settings, "AXES_ENABLED", True):
        count_and_check(_key(request), settings.SIGN_IN_ADDRESS_LIMIT, setting=SETTING)
