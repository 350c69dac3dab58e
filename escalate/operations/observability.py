"""Optional error reporting to Sentry (or a Sentry-compatible service), set from the environment.

Off unless SENTRY_DSN is set. What leaves the machine is minimised: no request bodies, cookies,
headers or local variables, no exception messages (they may quote what a person typed) and no
breadcrumbs; the exception's type, the stack's file and line, and the request id remain.
"""

from __future__ import annotations

import os
from typing import Any

from escalate.operations.logs import current_request_id


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Remove everything from a Sentry event that could hold personal data."""
    event.pop("request", None)
    event.pop("breadcrumbs", None)
    event.pop("user", None)
    event.pop("extra", None)
    event["message"] = ""
    for value in (event.get("exception") or {}).get("values", []):
        value["value"] = ""
        for frame in (value.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry["message"] = logentry.get("message", "")  # the format string only
        logentry.pop("params", None)
        logentry.pop("formatted", None)
    event.setdefault("tags", {})["request_id"] = current_request_id() or "-"
    return event


def init_error_reporting() -> bool:
    """Start Sentry when SENTRY_DSN is set; returns whether it started."""
    dsn = os.environ.get("SENTRY_DSN", "")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=os.environ.get("ESCALATE_ENV", "development"),
        release=os.environ.get("ESCALATE_RELEASE") or None,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        before_send=scrub,  # type: ignore[arg-type]
        max_breadcrumbs=0,
    )
    return True
