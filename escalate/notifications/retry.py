"""When to try a failed notification again: exponential backoff, then give up."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt n (1-based) that failed waits base * factor**(n-1), capped, plus a little jitter.

    With the defaults (1 minute, doubling, 8 attempts) a message is tried for about two hours
    before it is marked failed, which covers a mail server restart or a short outage.
    """

    base_delay: timedelta = timedelta(minutes=1)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 8
    jitter: float = 0.1  # up to 10% more, so many rows that failed together do not retry together

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.factor < 1:
            raise ValueError("factor must be at least 1")

    def delay_after(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th failed attempt."""
        if attempts < 1:
            raise ValueError("attempts counts from 1")
        seconds = self.base_delay.total_seconds() * self.factor ** (attempts - 1)
        seconds = min(seconds, self.max_delay.total_seconds())
        if self.jitter:
            seconds += random.uniform(0, seconds * self.jitter)
        return timedelta(seconds=seconds)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def next_attempt_at(self, now: datetime, attempts: int) -> datetime:
        return now + self.delay_after(attempts)


def retry_policy() -> RetryPolicy:
    """The policy from settings (NOTIFICATIONS_MAX_ATTEMPTS, NOTIFICATIONS_RETRY_BASE_SECONDS)."""
    return RetryPolicy(
        base_delay=timedelta(seconds=settings.NOTIFICATIONS_RETRY_BASE_SECONDS),
        max_attempts=settings.NOTIFICATIONS_MAX_ATTEMPTS,
    )
