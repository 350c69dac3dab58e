"""The platform administrator sets up each partnership's identity providers (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from escalate.accounts.models import IdentityLink, IdentityProvider
from escalate.audit.admin_auditing import AuditedAdmin
from escalate.directory.permissions import is_platform_admin

# Kept out of the audit trail: only the fact that they changed is recorded.
SECRET_FIELDS = ("client_secret", "private_key")


class IdentityProviderForm(forms.ModelForm):  # type: ignore[type-arg]
    issuer = forms.URLField(
        max_length=300,
        assume_scheme="https",
        help_text=IdentityProvider._meta.get_field("issuer").help_text,
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "partnership",
            "name",
            "issuer",
            "client_id",
            "client_secret",
            "private_key",
            "private_key_id",
            "match_claim",
            "email_claim",
            "scopes",
            "acr_values",
            "mfa_acr_values",
            "mfa_amr_values",
            "is_active",
        ]
        widgets = {
            "client_secret": forms.PasswordInput(render_value=True),
            "private_key": forms.Textarea(attrs={"rows": 6, "autocomplete": "off"}),
        }


class PlatformOnlyAdmin(AuditedAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_platform_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_platform_admin(request.user)


@admin.register(IdentityProvider)
class IdentityProviderAdmin(PlatformOnlyAdmin):
    form = IdentityProviderForm
    list_display = ("name", "partnership", "issuer", "client_id", "match_claim", "is_active")
    list_filter = ("is_active", "partnership")
    search_fields = ("name", "issuer", "client_id")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        pending = self.pending_changes(request)
        for name in SECRET_FIELDS:
            if name in pending:
                pending[name] = ("[hidden]", "[changed]")


@admin.register(IdentityLink)
class IdentityLinkAdmin(PlatformOnlyAdmin):
    list_display = ("person", "provider", "linked_at")
    list_filter = ("provider",)
    search_fields = ("person__email",)
    readonly_fields = ("person", "provider", "subject", "linked_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False
