"""Personal API tokens: a person's key for the JSON API, with scopes, stored hashed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    ESCALATIONS_READ = "escalations:read", "Read escalations and actions you may see"
    ESCALATIONS_WRITE = "escalations:write", "Raise escalations and act on them"
    DIRECTORY_READ = "directory:read", "Read the partnership's agencies, contacts and policy"
    REPORTS_READ = "reports:read", "Read the dashboard figures (partnership roles only)"


class ApiToken(models.Model):
    """One token. Only `prefix` (to find it) and the SHA-256 of the whole token are kept."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    def scope_labels(self) -> list[str]:
        labels = dict(Scope.choices)
        return [str(labels.get(scope, scope)) for scope in self.scopes]
