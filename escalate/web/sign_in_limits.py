"""Password spraying: too many wrong passwords from one address, whatever the accounts.

django-axes locks an account for one address (`AXES_LOCKOUT_PARAMETERS`), so nobody can lock a
person out from elsewhere; this limit stops one address trying a few passwords on many accounts.
Failures are counted per client address (`escalate.client_address`) in the shared cache.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from escalate.audit.services import record_audit
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


def audit_refusal(request: HttpRequest, wait: int) -> None:
    """Audit that this address was refused (once per wait, so a flood writes one row)."""
    if cache.add(f"sign-in-refusal-audited:{client_address(request) or 'unknown'}", 1, wait):
        record_audit(
            actor=None,
            action="sign_in_refused_address_limit",
            partnership=None,
            object_type="directory.Person",
            object_id="any account",
            reason=f"{settings.SIGN_IN_ADDRESS_LIMIT} wrong passwords from this address",
            request=request,
        )
