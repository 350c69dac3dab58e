"""Input no person can type never reaches a view: control characters, and a NUL above all.

PostgreSQL refuses a NUL in text and JSON (a draft holding one failed with a 500 and lost what
was typed), and no form of the service has a use for control characters. So:
- a path holding a control character is a page that does not exist (404);
- control characters other than tab, newline and carriage return are removed from query and
  form values before the view reads them, so the rest of what was typed is kept and checked
  as usual.
The JSON API refuses them itself: its schema forbids NUL in parameters and bodies (a 4xx).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict

# C0 controls except \t \n \r, and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


def _cleaned(values: QueryDict) -> QueryDict | None:
    if not any(
        has_control_characters(key) or any(map(has_control_characters, items))
        for key, items in values.lists()
    ):
        return None
    cleaned = QueryDict(mutable=True, encoding=values.encoding)
    for key, items in values.lists():
        cleaned.setlist(
            without_control_characters(key), [without_control_characters(v) for v in items]
        )
    cleaned._mutable = False
    return cleaned


class ControlCharactersMiddleware:
    """Placed after CsrfViewMiddleware, so the form is parsed only when Django would anyway."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> None:
        if has_control_characters(request.path):
            raise Http404("No such page")
        if getattr(view_func, "authenticates_itself", False):
            return  # the API validates its own input and refuses these with a 4xx
        query = _cleaned(request.GET)
        if query is not None:
            request.GET = query  # type: ignore[assignment]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = _cleaned(request.POST)
            if form is not None:
                request.POST = form  # type: ignore[assignment]
