"""A fixed-window request limit per API token, kept in the shared cache (escalate/ratelimit.py)."""

from __future__ import annotations

from django.conf import settings

from escalate.ratelimit import count_and_check, parse_rate

__all__ = ["parse_rate", "seconds_to_wait"]


def seconds_to_wait(token_id: int) -> int | None:
    """Count one request for the token; the seconds to wait if it is over the limit, else None."""
    return count_and_check(f"api:{token_id}", settings.API_RATE_LIMIT, setting="API_RATE_LIMIT")
