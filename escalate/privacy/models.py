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
