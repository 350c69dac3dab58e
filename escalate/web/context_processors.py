"""Template context every page needs: the partnership's name and the navigation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from escalate.directory.models import Person
from escalate.web.navigation import navigation_for


def fully_signed_in(request: HttpRequest) -> bool:
    """Signed in and past the second factor: only then the menu, counts and footer links show."""
    person = getattr(request, "user", None)
    if not isinstance(person, Person):
        return False
    if not settings.ESCALATE_REQUIRE_MFA:
        return True
    return bool(getattr(person, "is_verified", lambda: False)())


def service(request: HttpRequest) -> dict[str, Any]:
    person = getattr(request, "user", None)
    partnership = person.partnership if isinstance(person, Person) else None
    menu = fully_signed_in(request)
    return {
        "service_partnership": partnership,
        "service_partnership_name": partnership.name if partnership else "Escalate",
        "service_menu_shown": menu,
        "service_navigation": navigation_for(request) if menu else [],
    }
