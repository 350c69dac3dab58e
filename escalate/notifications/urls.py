"""The notifications pages, under /notifications/ (included from escalate/urls.py)."""

from django.urls import path

from escalate.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:notification_id>/read/", views.mark_read, name="mark_read"),
    path("<int:notification_id>/open/", views.open_escalation, name="open_escalation"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("settings/", views.email_settings, name="settings"),
    path("failed/", views.failed, name="failed"),
    path(
        "failed/<int:notification_id>/send-again/",
        views.send_failed_again,
        name="send_failed_again",
    ),
    # GOV.UK Notify's delivery receipts (NOTIFY_CALLBACK_TOKEN; docs/operations.md).
    path("notify/receipts/", views.notify_receipt, name="notify_receipt"),
]
