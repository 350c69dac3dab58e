"""Policy versions in the administration pages: read-only, each partnership sees its own.

Versions are loaded with `manage.py load_policy` and never edited, so nothing here writes.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from escalate.directory.admin import PartnershipScopedAdmin
from escalate.policies.models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(PartnershipScopedAdmin):
    list_display = ["name", "number", "partnership", "source_name", "loaded_at", "loaded_by"]
    fields = (
        "partnership",
        "number",
        "name",
        "source_name",
        "checksum",
        "loaded_at",
        "loaded_by",
        "source_text",
    )
    readonly_fields = (
        "partnership",
        "number",
        "name",
        "source_name",
        "checksum",
        "loaded_at",
        "loaded_by",
        "source_text",
    )

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
