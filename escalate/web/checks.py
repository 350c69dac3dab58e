"""Deployment checks for Escalate's own security settings (run by `check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def two_factor_is_required(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if settings.ESCALATE_REQUIRE_MFA and getattr(settings, "AXES_ENABLED", True):
        return []
    return [
        Warning(
            "ESCALATE_REQUIRE_MFA and AXES_ENABLED must be on in production: every account can "
            "see case data.",
            id="escalate.W001",
        )
    ]
