from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalate.escalations"
    label = "escalations"
    default_auto_field = "django.db.models.BigAutoField"
