from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "escalate.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalate.audit import signals  # noqa: F401  (connects the sign-in receivers)
