"""Template context every page needs: the partnership's name and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from escalate.directory.models import Person
from escalate.web.navigation import navigation_for


def service(request: HttpRequest) -> dict[str, Any]:
    person = getattr(request, "user", None)
    partnership = person.partnership if isinstance(person, Person) else None
    return {
        "service_partnership": partnership,
        "service_partnership_name": partnership.name if partnership else "Escalate",
        "service_navigation": navigation_for(request),
    }
