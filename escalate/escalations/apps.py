from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalate.escalations"
    label = "escalations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalate.audit.verification import register_cross_check
        from escalate.escalations.auditing import unaudited_changes

        register_cross_check(unaudited_changes)
