"""Evidence attached to an escalation: stored outside the web root under a random name."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ScanStatus(models.TextChoices):
    NOT_SCANNED = "not_scanned", "Not scanned (no scanner configured)"
    QUARANTINED = "quarantined", "Being checked for viruses"
    CLEAN = "clean", "Checked for viruses"
    INFECTED = "infected", "Removed: a virus was found"


# Only these may be downloaded; a quarantined or infected file is answered like a missing one.
AVAILABLE = (ScanStatus.NOT_SCANNED, ScanStatus.CLEAN)


class Attachment(models.Model):
    escalation = models.ForeignKey(
        "escalations.Escalation", on_delete=models.PROTECT, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # What the person called it (cleaned, with the extension of the type found in the content).
    name = models.CharField(max_length=200)
    # Where it is on disk: random, says nothing about the case, never taken from the upload.
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    scan_status = models.CharField(
        max_length=20, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    scanned_by = models.CharField(max_length=80, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def available(self) -> bool:
        return self.scan_status in AVAILABLE
