"""Structured logs: one JSON object a line, with the request id that the error pages show.

Log records carry what the code logged and nothing more; no formatter here adds request data
(no paths with references, no bodies), so a child's identifiers never reach the logs through it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

_request_id: ContextVar[str] = ContextVar("escalate_request_id", default="")
REQUEST_ID_HEADER = "X-Request-ID"


def current_request_id() -> str:
    """The id of the request this thread is serving, or "" outside a request."""
    return _request_id.get()


class RequestIdMiddleware:
    """Gives each request an id for the logs, the response header and the error pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Always our own: a client-chosen id could be used to confuse the logs. It stays set
        # until the response is finished, so Django's own "Not Found: …" line carries it too.
        request_id = uuid.uuid4().hex
        _request_id.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


def forget_request_id(**kwargs: object) -> None:
    """Connected to `request_finished`: lines logged between requests carry no id."""
    _request_id.set("")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record, for the text and the JSON formats alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id() or "-"
        return True


class ClientErrorWithoutTraceback(logging.Filter):
    """A refused or missing page (4xx) is routine: log the line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


# Attributes every LogRecord has; anything else on a record was passed as `extra=`.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# Extras Django attaches that are objects (the request, the response), not log fields.
_SKIPPED_EXTRAS = frozenset({"request", "response", "server_time"})


class JsonFormatter(logging.Formatter):
    """timestamp, level, logger, message, request_id, extras, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or current_request_id() or None,
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key in _SKIPPED_EXTRAS or key.startswith("_"):
                continue
            entry[key] = value if isinstance(value, int | float | bool | str) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
