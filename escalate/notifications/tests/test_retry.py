"""Exponential backoff: each failure waits longer, up to a cap, then the message is given up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from escalate.notifications.retry import RetryPolicy, retry_policy


def test_each_failure_doubles_the_wait_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=timedelta(minutes=1), max_delay=timedelta(minutes=10), jitter=0)
    waits = [policy.delay_after(n) for n in range(1, 7)]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)]


def test_jitter_only_ever_adds_a_little() -> None:
    policy = RetryPolicy(base_delay=timedelta(minutes=1), jitter=0.1)
    for _ in range(50):
        assert timedelta(minutes=4) <= policy.delay_after(3) <= timedelta(minutes=4.4)


def test_gives_up_after_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert not policy.gives_up(2)
    assert policy.gives_up(3)


def test_next_attempt_is_counted_from_now() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    policy = RetryPolicy(base_delay=timedelta(seconds=30), jitter=0)
    assert policy.next_attempt_at(now, 2) == now + timedelta(seconds=60)


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        RetryPolicy().delay_after(0)


def test_policy_comes_from_settings(settings) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 5
    policy = retry_policy()
    assert policy.max_attempts == 4
    assert policy.base_delay == timedelta(seconds=5)
