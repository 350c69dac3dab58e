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
