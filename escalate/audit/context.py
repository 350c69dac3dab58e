"""Where the current request comes from, for audit rows written without a `request` in hand.

`AuditContextMiddleware` stores the address and user agent of the request being served in a
context variable for the length of the request; `record_audit(request=None)` reads it, so the
escalation services need no `request` parameter. The worker and management commands run
outside any request and leave both blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest

from escalate.client_address import client_address

USER_AGENT_LENGTH = 200


@dataclass(frozen=True)
class Origin:
    ip_address: str | None
    user_agent: str


NO_ORIGIN = Origin(ip_address=None, user_agent="")

_current: ContextVar[Origin | None] = ContextVar("escalate_audit_origin", default=None)


def origin_of(request: HttpRequest) -> Origin:
    return Origin(
        ip_address=client_address(request),
        user_agent=request.headers.get("user-agent", "")[:USER_AGENT_LENGTH],
    )


def current_origin() -> Origin:
    """The origin of the request being served, or blanks outside a request."""
    return _current.get() or NO_ORIGIN


@contextmanager
def request_origin(request: HttpRequest) -> Iterator[Origin]:
    """Make `request`'s origin the current one until the block ends."""
    origin = origin_of(request)
    token = _current.set(origin)
    try:
        yield origin
    finally:
        _current.reset(token)
