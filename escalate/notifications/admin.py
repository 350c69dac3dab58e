"""The outbox in the admin: read-only, scoped to the partnership, with a "send again" action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from escalate.directory.admin import PartnershipScopedAdmin
from escalate.directory.models import Person
from escalate.notifications.models import Notification
from escalate.notifications.services import send_again


@admin.register(Notification)
class NotificationAdmin(PartnershipScopedAdmin):
    list_display = [
        "created_at",
        "escalation",
        "event",
        "recipient_key",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "receipt",
    ]
    list_filter = ["status", "channel", "event", "receipt"]
    search_fields = ["recipient_email", "event_key", "escalation__reference"]
    # Bodies stay out of the admin: the timeline and the inbox show them to those involved.
    fields = (
        "escalation",
        "event",
        "event_key",
        "recipient",
        "recipient_email",
        "channel",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "provider_id",
        "receipt",
        "receipt_at",
        "read_at",
    )
    readonly_fields = fields
    list_select_related = ["escalation"]
    actions = ["send_selected_again"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description="Send the selected failed notifications again")
    def send_selected_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        by = request.user if isinstance(request.user, Person) else None
        count = send_again(ids=list(queryset.values_list("pk", flat=True)), by=by)
        self.message_user(
            request, f"{count} failed notification(s) will be sent again.", messages.SUCCESS
        )
