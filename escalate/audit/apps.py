from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "escalate.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from escalate.audit import (
            checks,  # noqa: F401  (registers the database role check)
            signals,  # noqa: F401  (connects the sign-in receivers)
        )

        post_migrate.connect(_regrant_runtime_role, sender=self, dispatch_uid="audit_regrant")


def _regrant_runtime_role(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    # A migration may add tables (default privileges grant them) or audit tables (which must
    # not be granted): put the runtime role's privileges right after every migrate.
    from django.conf import settings
    from django.db import connections

    from escalate.audit.roles import grant_runtime_role

    role = getattr(settings, "DATABASE_RUNTIME_ROLE", "")
    connection = connections[using]
    if role and connection.vendor == "postgresql":
        grant_runtime_role(role, conn=connection)
