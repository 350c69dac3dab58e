"""Account links (invitation, reset) and sign-in through a partnership's identity providers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device


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


class MatchClaim(models.TextChoices):
    EMAIL = "email", "Email address (every sign-in)"
    SUBJECT = "sub", "Subject identifier (linked once by email, then the subject only)"


class IdentityProvider(models.Model):
    """An OpenID provider a partnership trusts (an Entra ID tenant, NHS CIS2), set up by the
    platform administrator. Sign-in through it only finds a person the partnership already
    holds; it never creates one (ADR 0018)."""

    partnership = models.ForeignKey(
        "directory.Partnership", on_delete=models.PROTECT, related_name="identity_providers"
    )
    name = models.CharField(
        max_length=120,
        help_text='Shown on the sign-in page as "Sign in with NAME", e.g. Riverside Council.',
    )
    issuer = models.URLField(
        max_length=300,
        help_text="The provider's issuer exactly as its discovery document gives it, e.g. "
        "https://login.microsoftonline.com/TENANT-ID/v2.0",
    )
    client_id = models.CharField(max_length=200)
    client_secret = models.CharField(
        max_length=500, blank=True, help_text="For client_secret_basic; empty with a private key."
    )
    private_key = models.TextField(
        blank=True,
        help_text="PEM private key for private_key_jwt (NHS CIS2); its public key is registered "
        "with the provider. Empty when a client secret is used.",
    )
    private_key_id = models.CharField(
        max_length=200, blank=True, help_text="The key id (kid) registered with the provider."
    )
    match_claim = models.CharField(
        max_length=10, choices=MatchClaim.choices, default=MatchClaim.EMAIL
    )
    email_claim = models.CharField(
        max_length=60,
        default="email",
        help_text="The claim holding the email address (Entra ID: email or preferred_username).",
    )
    scopes = models.CharField(max_length=300, default="openid email profile")
    acr_values = models.CharField(
        max_length=300, blank=True, help_text="acr_values to ask for (space-separated), if any."
    )
    mfa_acr_values = models.CharField(
        max_length=300,
        blank=True,
        help_text="acr values (space-separated) that mean the person gave a second factor.",
    )
    mfa_amr_values = models.CharField(
        max_length=300,
        blank=True,
        help_text="amr values (space-separated), any of which means a second factor, e.g. mfa.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["partnership__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "name"], name="identity_provider_name_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.partnership})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if bool(self.client_secret) == bool(self.private_key):
            raise ValidationError("Give either a client secret or a private key, not both.")
        if self.private_key:
            from joserfc.jwk import RSAKey

            try:
                RSAKey.import_key(self.private_key)
            except Exception:
                raise ValidationError(
                    {"private_key": "This is not an RSA private key in PEM format."}
                ) from None

    @property
    def auth_method(self) -> str:
        return "private_key_jwt" if self.private_key else "client_secret_basic"

    def counts_as_mfa(self, claims: dict[str, object]) -> bool:
        """Does the ID token say the person gave a second factor, as this provider is set up?"""
        acr = claims.get("acr")
        if isinstance(acr, str) and acr in self.mfa_acr_values.split():
            return True
        amr = claims.get("amr")
        wanted = set(self.mfa_amr_values.split())
        return isinstance(amr, list) and any(isinstance(v, str) and v in wanted for v in amr)


class IdentityLink(models.Model):
    """A person's stable subject id at a provider, linked at their first sign-in through it."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="links")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_links"
    )
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="identity_subject_unique"),
            models.UniqueConstraint(fields=["provider", "person"], name="identity_person_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person} at {self.provider.name}"


class ProviderMFADevice(Device):
    """Stands for "the identity provider checked a second factor" in django-otp's session state.

    It never accepts a code: it is only put in the session by an OpenID sign-in whose ID token
    says the provider asked for one (its `acr`/`amr`, as the provider is set up).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")

    def verify_token(self, token: object) -> bool:
        return False
