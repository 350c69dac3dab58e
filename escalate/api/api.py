"""The versioned JSON API (django-ninja): one NinjaAPI, its routers and its error handlers.

Every 4xx answers {"error": {"code", "message", "field"}}; see escalate/api/errors.py.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from escalate.api import directory, escalations, reports
from escalate.api.errors import ApiError, RateLimited, error_response, field_of
from escalate.api.parser import StorableTextParser
from escalate.audit.middleware import record_refusal

api = NinjaAPI(
    title="Escalate API",
    version="1",
    description=(
        "Raise and follow escalations from your own systems, read your partnership's directory "
        "and policy, and pull the dashboard figures. Authenticate with a personal API token "
        "(`Authorization: Bearer <token>`), created at /api/tokens/. Every error is "
        '`{"error": {"code": ..., "message": ..., "field": ...}}`.'
    ),
    urls_namespace="api:v1",
    docs_url=None,  # the documentation page is a GOV.UK page served by escalate/api/views.py
    parser=StorableTextParser(),
)
api.add_router("", escalations.router)
api.add_router("", directory.router)
api.add_router("", reports.router)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    if exc.status == 403:
        record_refusal(request, "forbidden")
    response = error_response(exc.status, exc.message, code=exc.code, field=exc.field)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.wait)
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = field_of(first.get("loc"))
    message = str(first.get("msg") or "The request is not valid.")
    return error_response(422, f"{field}: {message}" if field else message, field=field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(401)
    response["WWW-Authenticate"] = 'Bearer realm="escalate"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, str(exc) if exc.status_code == 400 else "")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # The same answer whether the object is missing or the person may not see it.
    record_refusal(request, "not found or not permitted")
    return error_response(404)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    record_refusal(request, "forbidden")
    return error_response(403, "Your role does not allow this.")
