from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "escalate.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from typing import Any

        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from escalate.web import checks  # noqa: F401  (registers the deploy checks)
        from escalate.web.middleware import mark_signed_in
        from escalate.web.sign_in_limits import count_failed_sign_in

        def start_session_clock(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
            if request is not None and hasattr(request, "session"):
                mark_signed_in(request.session)

        user_logged_in.connect(start_session_clock, dispatch_uid="web_session_clock", weak=False)
        user_login_failed.connect(
            count_failed_sign_in, dispatch_uid="web_sign_in_address_limit", weak=False
        )
