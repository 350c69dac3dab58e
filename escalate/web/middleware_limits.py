"""Refuse a request body over REQUEST_MAX_BYTES before any of it is read or spooled to disk."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


class RequestBodyLimitMiddleware:
    """Answers 413 from the declared Content-Length alone.

    Django reads a multipart body when something first asks for request.POST or request.FILES
    (CSRF does, before the view) and spools files over 2.5MB to a temporary file, so its own
    limits (DATA_UPLOAD_MAX_MEMORY_SIZE) come after a 1GiB upload has been written out. This
    runs before any of that. The WSGI server never hands over more than Content-Length says,
    and a body without one (chunked) is read as empty by Django.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django treats it as no body, too
        limit = int(settings.REQUEST_MAX_BYTES)
        if declared > limit:
            return too_large(request, limit)
        return self.get_response(request)


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"The request is too large: files must be smaller than {limit // 2**20}MB."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": {"code": "too_large", "message": message, "field": None}}, status=413
        )
    else:
        response = HttpResponse(
            render_to_string("web/too_large.html", {"message": message}), status=413
        )
    # The client is still sending; ask it to stop rather than read the rest.
    response["Connection"] = "close"
    return response
