"""The service navigation in the header: one list, each entry shown to those it is for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from escalate.directory.models import Person
from escalate.directory.permissions import may_manage_directory


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    shown_to: Callable[[Person], bool] = lambda person: True


NAVIGATION: list[NavItem] = [
    NavItem("Home", "home"),
    NavItem("Raise an escalation", "escalations:raise_start"),
    NavItem(
        "Your queue",
        "escalations:queue",
        lambda person: (
            person.level > 1
            or person.has_role(
                "line_manager", "senior_manager", "partnership_chair", "business_manager"
            )
        ),
    ),
    NavItem("Your actions", "escalations:my_actions"),
    NavItem("Policy", "policies:policy"),
    NavItem("Audit trail", "audit:events", lambda person: person.has_role("auditor")),
    NavItem("Dashboard", "reports:dashboard", lambda person: _sees_reports(person)),
    NavItem("Find a person", "subjects:search", lambda person: _may_search(person)),
    NavItem("Retention", "retention:review", lambda person: _may_review(person)),
    NavItem("Contacts", "directory:contacts", lambda person: person.partnership_id is not None),
    NavItem(
        "Directory",
        "directory:index",
        lambda person: may_manage_directory(person, person.partnership_id),
    ),
    NavItem("Partnerships", "accounts:partnerships", lambda person: person.is_superuser),
]


def _sees_reports(person: Person) -> bool:
    from escalate.reports.selectors import can_see_partnership_reports

    return can_see_partnership_reports(person)


def _may_search(person: Person) -> bool:
    from escalate.privacy.search import may_search

    return may_search(person)


def _may_review(person: Person) -> bool:
    from escalate.privacy.review import may_review

    return may_review(person)


def navigation_for(request: HttpRequest) -> list[dict[str, object]]:
    # Error pages can be drawn before AuthenticationMiddleware ran (e.g. a wrong Host header).
    person = getattr(request, "user", None)
    if not isinstance(person, Person):
        return []
    items = []
    for item in NAVIGATION:
        if not item.shown_to(person):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return items
