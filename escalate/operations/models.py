"""Operational state kept in the database, so every machine sees the same picture."""

from __future__ import annotations

from django.db import models


class ProcessKind(models.TextChoices):
    WORKER = "worker", "Background worker"
    SCHEDULER = "scheduler", "Scheduler"


class Heartbeat(models.Model):
    """The last sign of life of one background process (one row per machine and process id)."""

    kind = models.CharField(max_length=16, choices=ProcessKind.choices)
    instance = models.CharField(max_length=200, help_text="host:pid of the process")
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "instance"], name="heartbeat_one_per_process")
        ]
        indexes = [models.Index(fields=["kind", "beat_at"], name="heartbeat_kind_beat_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.instance}"


class CheckResult(models.Model):
    """The outcome of the last run of a periodic check, such as `verify_audit`."""

    name = models.CharField(max_length=50, unique=True)
    ok = models.BooleanField()
    detail = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {'ok' if self.ok else 'failed'}"
