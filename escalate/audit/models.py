"""The audit trail: an append-only, hash-chained record of who did what to which record, when."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models


class AuditChain(models.Model):
    """The head of one partnership's chain (or the platform's, key "platform").

    Appending locks this row (SELECT ... FOR UPDATE) so two writers cannot both link to the
    same previous row and fork the chain.
    """

    key = models.CharField(max_length=80, unique=True)
    length = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.key} ({self.length} events)"


class AuditEvent(models.Model):
    """One audited action. Never updated or deleted (PostgreSQL triggers refuse both)."""

    chain_key = models.CharField(max_length=80)
    sequence = models.PositiveBigIntegerField()
    # No database foreign keys: an audit row must outlive anything it mentions unchanged.
    partnership = models.ForeignKey(
        "directory.Partnership",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_reference = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    old_values = models.JSONField(default=dict, blank=True)
    new_values = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # Which of AUDIT_HASH_KEYS made `hash` (rows from before key ids: "1"), so keys can rotate.
    key_id = models.CharField(max_length=32, default="1", db_default="1")

    class Meta:
        ordering = ["chain_key", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["chain_key", "sequence"], name="audit_chain_position")
        ]
        indexes = [
            models.Index(fields=["partnership", "occurred_at"]),
            models.Index(fields=["partnership", "object_reference"]),
        ]
        triggers = [
            pgtrigger.Protect(
                name="audit_event_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain_key}#{self.sequence} {self.action}"
