"""The one JSON error shape every 4xx from /api/ has: {"error": {"code", "message", "field"}}."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse, JsonResponse
from ninja import Schema

# The code for each status when nothing more specific is known.
CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}
MESSAGES = {
    400: "The request could not be read.",
    401: "Send a valid API token: Authorization: Bearer <token>.",
    403: "Your token or your role does not allow this.",
    404: "Not found.",
    405: "This address does not accept that method.",
    409: "The escalation changed since you read it.",
    413: "The request is too large.",
    415: "Send JSON (Content-Type: application/json).",
    422: "The request is not valid.",
    429: "Too many requests for this token. Wait and try again.",
}


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class ApiError(Exception):
    """Raised anywhere in an endpoint to answer with the error shape."""

    def __init__(
        self, status: int, message: str = "", *, code: str = "", field: str | None = None
    ) -> None:
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message or MESSAGES.get(status, "The request failed.")
        self.field = field
        super().__init__(self.message)


class RateLimited(ApiError):
    def __init__(self, wait: int) -> None:
        self.wait = wait
        super().__init__(429)


def error_body(status: int, message: str = "", code: str = "", field: str | None = None) -> dict:
    return {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message or MESSAGES.get(status, "The request failed."),
            "field": field,
        }
    }


def error_response(
    status: int, message: str = "", *, code: str = "", field: str | None = None
) -> JsonResponse:
    return JsonResponse(error_body(status, message, code, field), status=status)


def field_of(location: Any) -> str | None:
    """A pydantic/ninja error location as a dotted field name, without the part it came from."""
    parts = [str(part) for part in location or () if part not in ("body", "query", "path")]
    # ninja names the body by the parameter ("payload"); callers care about the field in it.
    if parts and parts[0] in ("payload", "filters"):
        parts = parts[1:]
    return ".".join(parts) or None


def as_json_error(response: HttpResponse) -> HttpResponse:
    """Any 4xx that is not already JSON (Django's 404, 405, CSRF...) rewritten in the shape."""
    if response.status_code < 400 or response.status_code >= 500:
        return response
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            if "error" in json.loads(response.content):
                return response
        except ValueError:
            pass
    replaced = error_response(response.status_code)
    if response.has_header("Allow"):
        replaced["Allow"] = response["Allow"]
    return replaced


def documented(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation documents: always 400, 401 and 429, plus `statuses`."""
    return {status: ErrorOut for status in sorted({400, 401, 429, *statuses})}
