"""Single-use, expiring links that let a person set their password (invitation or reset)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class LinkPurpose(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    PASSWORD_RESET = "password_reset", "Password reset"


class AccountLink(models.Model):
    """One link sent by email. Only the SHA-256 of its secret is kept, never the secret."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_links"
    )
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.person}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
