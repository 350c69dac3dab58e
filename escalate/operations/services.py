"""Writes of operational state: heartbeats of background processes and results of checks."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.utils import timezone

from escalate.operations.models import CheckResult, Heartbeat, ProcessKind

# Rows of processes silent this long are removed: a machine that went away for good.
FORGET_AFTER = timedelta(days=7)


def this_instance() -> str:
    """`host:pid`, naming one process on one machine."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(*, kind: ProcessKind, instance: str | None = None) -> Heartbeat:
    """Record that a background process of `kind` is alive now."""
    now = timezone.now()
    heartbeat, created = Heartbeat.objects.get_or_create(
        kind=kind,
        instance=instance or this_instance(),
        defaults={"started_at": now, "beat_at": now},
    )
    if not created:
        Heartbeat.objects.filter(pk=heartbeat.pk).update(beat_at=now)
        heartbeat.beat_at = now
    return heartbeat


def forget_silent_processes() -> int:
    """Remove heartbeats of processes silent for FORGET_AFTER; returns how many."""
    deleted, _ = Heartbeat.objects.filter(beat_at__lt=timezone.now() - FORGET_AFTER).delete()
    return deleted


def record_check(*, name: str, ok: bool, detail: str = "") -> CheckResult:
    """Keep the outcome of the latest run of a periodic check (one row per check)."""
    result, _ = CheckResult.objects.update_or_create(
        name=name, defaults={"ok": ok, "detail": detail[:500], "checked_at": timezone.now()}
    )
    return result
