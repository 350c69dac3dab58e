"""Password reset requests from one client address, whatever addresses they name.

The reset service already sends at most RESETS_PER_HOUR links an hour to one person (silently,
so nobody learns whether an address has an account). This limit stops one address from using
the form to email many people, or to probe it at speed: every POST counts, valid or not, in the
shared cache (`escalate.ratelimit`), per client address (`escalate.client_address`). Being
refused says nothing about any email address, so it is shown plainly (429, Retry-After).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from escalate.audit.services import record_audit
from escalate.client_address import client_address
from escalate.ratelimit import count_and_check

SETTING = "PASSWORD_RESET_ADDRESS_LIMIT"


def _address(request: HttpRequest) -> str:
    return client_address(request) or "unknown"


def seconds_to_wait_for_reset(request: HttpRequest) -> int | None:
    """Count this reset request from the client's address; None if allowed, else the wait."""
    if not getattr(settings, "AXES_ENABLED", True):
        return None  # the suite's switch for every sign-in throttle (conftest.py)
    return count_and_check(
        f"password-reset:{_address(request)}",
        settings.PASSWORD_RESET_ADDRESS_LIMIT,
        setting=SETTING,
    )


def audit_refusal(request: HttpRequest, wait: int) -> None:
    """Audit that this address was refused (once per wait, so a flood writes one row)."""
    if cache.add(f"password-reset-refusal-audited:{_address(request)}", 1, wait):
        record_audit(
            actor=None,
            action="password_reset_refused_address_limit",
            partnership=None,
            object_type="directory.Person",
            object_id="any account",
            reason=f"more than {settings.PASSWORD_RESET_ADDRESS_LIMIT} reset requests from this "
            "address",
            request=request,
        )
