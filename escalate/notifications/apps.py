from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "escalate.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalate.notifications import checks  # noqa: F401  (registers the deploy checks)
