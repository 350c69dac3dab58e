"""Stored policy versions. A version is never changed once saved: an edited file makes a new one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property

from escalate.directory.models import Partnership
from escalate.policies.schema import PolicySpec

# Parsed policies, by the checksum of their canonical document. A version never changes once
# saved and equal checksums mean equal documents, so a parse can serve the whole process
# (PolicySpec is frozen). Bounded: a deployment has a few hundred versions at most.
_PARSED: dict[str, PolicySpec] = {}
_PARSED_LIMIT = 2048


class PolicyVersion(models.Model):
    """One loaded version of a partnership's policy; escalations keep the one they began under."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="policy_versions"
    )
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    document = models.JSONField(help_text="The validated policy, as loaded.")
    source_name = models.CharField(max_length=200)
    source_text = models.TextField()
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the canonical document.")
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["partnership", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "number"], name="policy_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A policy version is never changed; load the edited file instead.")
        super().save(*args, **kwargs)

    @cached_property
    def spec(self) -> PolicySpec:
        """The validated policy, parsed once per process (reads `document` only then)."""
        parsed = _PARSED.get(self.checksum) if self.checksum else None
        if parsed is None:
            parsed = PolicySpec.model_validate(self.document)
            if self.checksum:
                if len(_PARSED) >= _PARSED_LIMIT:
                    _PARSED.clear()
                _PARSED[self.checksum] = parsed
        return parsed


class ApprovalStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting the Chair's approval"
    APPROVED = "approved", "Approved and published"
    DECLINED = "declined", "Declined"
    SUPERSEDED = "superseded", "Replaced by a later submission"


class PolicyApproval(models.Model):
    """A new version the business unit published while the policy requires the Chair's approval.

    It becomes a `PolicyVersion` only when the partnership chair approves it; until then the
    current version stays in force.
    """

    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="policy_approvals"
    )
    name = models.CharField(max_length=200)
    source_name = models.CharField(max_length=200)
    source_text = models.TextField()
    checksum = models.CharField(max_length=64)
    status = models.CharField(
        max_length=12, choices=ApprovalStatus.choices, default=ApprovalStatus.AWAITING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        indexes = [models.Index(fields=["partnership", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"
