"""A fixed-window request limit per API token, kept in Django's cache."""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/minute' -> (120, 60)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(second|minute|hour|day)\s*", rate)
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"API_RATE_LIMIT must look like 120/minute (a number per second, minute, hour or "
            f"day), not {rate!r}"
        )
    return int(match.group(1)), PERIODS[match.group(2)]


def seconds_to_wait(token_id: int) -> int | None:
    """Count one request for the token; the seconds to wait if it is over the limit, else None."""
    limit, period = parse_rate(settings.API_RATE_LIMIT)
    now = time.time()
    window = int(now // period)
    key = f"api-rate:{token_id}:{period}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * period - now + 0.999))
