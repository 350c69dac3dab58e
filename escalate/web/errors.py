"""The project's error handlers: GOV.UK pages for people, the JSON error shape for API clients.

Django calls these for errors raised outside a view's own handling: a wrong Host header, a
path no view answers, a database that is down. Under /api/ every one is JSON
(escalate/api/errors.py), so an API client never has to read an HTML page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

API_PREFIX = "/api/v1/"
SERVER_ERROR_MESSAGE = "Something went wrong on our side. Try again later."


def _for_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(status: int, message: str = "") -> HttpResponse:
    from escalate.api.errors import error_response

    return error_response(status, message, code="server_error" if status >= 500 else "")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_api(request):
        return _json(400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_api(request):
        return _json(403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _for_api(request):
        return _json(404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _for_api(request):
        return _json(500, SERVER_ERROR_MESSAGE)
    from escalate.operations.views import server_error as page_with_request_id

    return page_with_request_id(request)
