"""The unread count shown in the header on every page (one query, only when signed in)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from escalate.directory.models import Person
from escalate.notifications.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    person = getattr(request, "user", None)
    if not isinstance(person, Person):
        return {}
    # Lazy: pages that never show the header (downloads, redirects) make no query.
    return {"notifications_unread_count": SimpleLazyObject(lambda: unread_count(person))}
