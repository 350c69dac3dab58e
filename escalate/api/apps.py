from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "escalate.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from escalate.api.ratelimit import parse_rate

        parse_rate(settings.API_RATE_LIMIT)  # a malformed limit stops start-up with its reason
