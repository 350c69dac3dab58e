"""Fixed-window request counters in Django's cache, shared by every process that shares the cache.

The API's per-token limit and the sign-in limit per client address count here. With several
processes or machines the cache must be shared (`CACHE_URL`, e.g. Redis; docs/operations.md),
otherwise each process counts alone.
"""

from __future__ import annotations

import re
import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str, *, setting: str = "API_RATE_LIMIT") -> tuple[int, int]:
    """'120/minute' -> (120, 60)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(second|minute|hour|day)\s*", rate)
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{setting} must look like 120/minute (a number per second, minute, hour or "
            f"day), not {rate!r}"
        )
    return int(match.group(1)), PERIODS[match.group(2)]


def _window(rate: str, setting: str) -> tuple[int, int, int, float]:
    limit, period = parse_rate(rate, setting=setting)
    now = time.time()
    return limit, period, int(now // period), now


def _wait(window: int, period: int, now: float) -> int:
    return max(1, int((window + 1) * period - now + 0.999))


def count_and_check(key: str, rate: str, *, setting: str) -> int | None:
    """Count one hit for `key`; the seconds to wait if that is over `rate`, else None."""
    limit, period, window, now = _window(rate, setting)
    cache_key = f"rate:{key}:{period}:{window}"
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        count = 1
    return None if count <= limit else _wait(window, period, now)


def check(key: str, rate: str, *, setting: str) -> int | None:
    """Without counting: the seconds to wait if `key` has already used up `rate`, else None."""
    limit, period, window, now = _window(rate, setting)
    count = cache.get(f"rate:{key}:{period}:{window}", 0)
    return None if count < limit else _wait(window, period, now)
