"""Deployment checks for delivery (run by `check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

CALLBACK_TOKEN_MIN_LENGTH = 32


@register(Tags.security, deploy=True)
def notify_receipts_are_taken_safely(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    token = settings.NOTIFY_CALLBACK_TOKEN
    found: list[Warning] = []
    if settings.NOTIFICATIONS_EMAIL_PROVIDER == "notify" and not token:
        found.append(
            Warning(
                "NOTIFY_CALLBACK_TOKEN is not set: GOV.UK Notify's delivery receipts are refused, "
                "so emails Notify could not deliver never reach the failed notices page.",
                id="escalate.W020",
            )
        )
    if token and len(token) < CALLBACK_TOKEN_MIN_LENGTH:
        found.append(
            Warning(
                f"NOTIFY_CALLBACK_TOKEN is shorter than {CALLBACK_TOKEN_MIN_LENGTH} characters: "
                "anyone who guesses it can mark notices failed.",
                id="escalate.W021",
            )
        )
    return found
