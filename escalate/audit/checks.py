"""`check --deploy --database default`: the app must not connect as a role that can rewrite the
audit trail (docs/operations.md, "Database roles")."""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import connections

from escalate.audit.roles import audit_refusals


@register(Tags.database, deploy=True)
def runtime_role_cannot_rewrite_the_trail(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[Warning]:
    warnings: list[Warning] = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
            )
            role, superuser = cursor.fetchone()
        allowed = [] if not superuser else ["everything (a superuser)"]
        allowed += [r.what for r in audit_refusals(role, conn=connection) if r.allowed]
        if allowed:
            warnings.append(
                Warning(
                    f"The app connects to database {alias!r} as {role}, which can rewrite the "
                    f"audit trail: {'; '.join(allowed)}.",
                    hint="Connect as a runtime role set up by `manage.py grant_runtime_role`.",
                    id="escalate.W010",
                )
            )
    return warnings
