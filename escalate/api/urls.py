"""/api/: the JSON API under v1/ (token only), and the pages for tokens and the API's documentation.

The API's views are marked login_not_required and `authenticates_itself` (so neither the
sign-in redirect nor the two-factor check applies): each checks its Bearer token itself and
answers 401 JSON without one. Any other 4xx under /api/v1/ is rewritten into the JSON error shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from escalate.api import views
from escalate.api.api import api
from escalate.api.errors import as_json_error, error_response

app_name = "api"


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return as_json_error(view(request, *args, **kwargs))
        except Http404:  # raised outside an operation (e.g. django-ninja's root address)
            return error_response(404)
        except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE
            return error_response(413)
        except SuspiciousOperation:
            return error_response(400)

    wrapped.authenticates_itself = True  # type: ignore[attr-defined]
    return csrf_exempt(login_not_required(wrapped))


def _wrapped(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = api_view(pattern.callback)
    return patterns


@api_view
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/v1/: the JSON 404."""
    return error_response(404)


ninja_patterns, ninja_app, ninja_namespace = api.urls

urlpatterns = [
    path("v1/", include((_wrapped(ninja_patterns), ninja_app), namespace=ninja_namespace)),
    re_path(r"^v1/(?P<rest>.*)$", not_found, name="not_found"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke, name="revoke_token"),
    path("docs/", views.docs, name="docs"),
]
