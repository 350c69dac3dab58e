"""A partnership's own wording of its legal pages (privacy notice, accessibility, cookies)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from escalate.directory.models import Partnership


class LegalPageKind(models.TextChoices):
    PRIVACY = "privacy", "Privacy notice"
    ACCESSIBILITY = "accessibility", "Accessibility statement"
    COOKIES = "cookies", "Cookies"


class LegalPage(models.Model):
    """The text a partnership's business unit wrote for one legal page, replacing the default."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="legal_pages"
    )
    kind = models.CharField(max_length=20, choices=LegalPageKind.choices)
    body = models.TextField(max_length=50_000)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "kind"], name="one_legal_page_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.partnership}"


class RetentionDecision(models.Model):
    """The business unit's decision on an escalation record that falls due for review.

    A legal hold (a practice review, litigation) keeps the record until someone lifts it; an
    extension keeps it until a date. Rows are never edited except to lift a hold, so the history
    of every decision stays (and each one is in the audit trail).
    """

    class Kind(models.TextChoices):
        HOLD = "hold", "Legal hold"
        EXTEND = "extend", "Kept longer"
        DISPOSED = "disposed", "Disposed of"

    escalation = models.ForeignKey(
        "escalations.Escalation", on_delete=models.PROTECT, related_name="retention_decisions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(max_length=1000)
    keep_until = models.DateField(null=True, blank=True)  # an extension's new review date
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(max_length=1000, blank=True)

    class Meta:
        indexes = [models.Index(fields=["escalation", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on escalation {self.escalation_id}"
