from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What an operator needs to run Escalate on several machines: health, heartbeats, logs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "escalate.operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from escalate.operations.logs import forget_request_id
        from escalate.operations.observability import init_error_reporting

        request_finished.connect(forget_request_id, dispatch_uid="forget_request_id")
        init_error_reporting()
