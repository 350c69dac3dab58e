from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Keeping personal data only as long as needed, and telling people how it is used."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "escalate.privacy"
    verbose_name = "Privacy"
