"""Reads of operational state for the health endpoints, the metrics and the operator page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from escalate.notifications.models import Notification, Status
from escalate.operations.models import CheckResult, Heartbeat, ProcessKind


def stale_after(kind: str) -> timedelta:
    """How long a process of `kind` may be silent before it counts as stalled."""
    if kind == ProcessKind.SCHEDULER:
        return timedelta(seconds=3 * settings.SCHEDULER_INTERVAL_SECONDS)
    return timedelta(seconds=3 * settings.WORKER_HEARTBEAT_SECONDS)


@dataclass(frozen=True)
class ProcessStatus:
    kind: str
    instance: str
    started_at: datetime
    beat_at: datetime
    seconds_since: float
    stalled: bool


def process_statuses(now: datetime | None = None) -> list[ProcessStatus]:
    """Every known background process, newest beat first, with whether it has stalled."""
    now = now or timezone.now()
    return [
        ProcessStatus(
            kind=row.kind,
            instance=row.instance,
            started_at=row.started_at,
            beat_at=row.beat_at,
            seconds_since=(now - row.beat_at).total_seconds(),
            stalled=now - row.beat_at > stale_after(row.kind),
        )
        for row in Heartbeat.objects.order_by("kind", "-beat_at")
    ]


def alive_counts(statuses: list[ProcessStatus]) -> dict[str, int]:
    """Processes of each kind beating on time."""
    counts = {kind: 0 for kind in ProcessKind.values}
    for status in statuses:
        if not status.stalled:
            counts[status.kind] = counts.get(status.kind, 0) + 1
    return counts


@dataclass(frozen=True)
class Metrics:
    outbox_pending: int
    outbox_oldest_pending_seconds: float
    notifications_failed: int
    scheduler_lag_seconds: float | None  # None: no scheduler has ever beaten
    workers_alive: int
    schedulers_alive: int
    audit_verified_ok: bool | None  # None: never run
    audit_verified_at: datetime | None


def metrics(now: datetime | None = None) -> Metrics:
    """Figures an operator alerts on: backlog, failures, scheduler lag, the audit check."""
    now = now or timezone.now()
    by_status = dict(
        Notification.objects.order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    oldest = Notification.objects.filter(status=Status.PENDING).order_by("created_at").first()
    statuses = process_statuses(now)
    alive = alive_counts(statuses)
    last_scheduler = Heartbeat.objects.filter(kind=ProcessKind.SCHEDULER).aggregate(
        last=Max("beat_at")
    )["last"]
    audit = CheckResult.objects.filter(name="verify_audit").first()
    return Metrics(
        outbox_pending=by_status.get(Status.PENDING, 0),
        outbox_oldest_pending_seconds=(now - oldest.created_at).total_seconds() if oldest else 0.0,
        notifications_failed=by_status.get(Status.FAILED, 0),
        scheduler_lag_seconds=(now - last_scheduler).total_seconds() if last_scheduler else None,
        workers_alive=alive[ProcessKind.WORKER],
        schedulers_alive=alive[ProcessKind.SCHEDULER],
        audit_verified_ok=audit.ok if audit else None,
        audit_verified_at=audit.checked_at if audit else None,
    )
