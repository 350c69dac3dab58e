"""Every URL of the project, every role, GET and POST: gives what access_matrix.MATRIX says.

A URL pattern with no row fails the build (test_every_url_pattern_has_a_row), so a new page
cannot ship untested. Each request runs as its role with two-factor and sign-in throttling on,
in a savepoint that is rolled back, so the world is the same for every row; whenever the answer
is a refusal (sign in, 401, 403, 404, 405) nothing in the database may have changed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from escalate.web.testing import sign_in
from escalate.web.tests.access_matrix import (
    ADMIN_PREFIX,
    ADMIN_SIGN_IN,
    API_UNAUTHORISED,
    MATRIX,
    SIGN_IN,
    Outcome,
    Redirect,
    Row,
)
from escalate.web.tests.access_world import ROLES, AccessWorld, changed_tables, snapshot

pytestmark = pytest.mark.django_db

REFUSALS = (SIGN_IN, ADMIN_SIGN_IN, API_UNAUTHORISED, 403, 404, 405)


def project_patterns(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> list[tuple[str, str]]:
    """(qualified name or "", route) of every URL pattern, recursively."""
    resolver = resolver or get_resolver()
    found: list[tuple[str, str]] = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            found += project_patterns(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = ""
            if pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            found.append((name, route))
    return found


def test_every_url_pattern_has_a_row() -> None:
    named = {row.name for row in MATRIX}
    missing = [
        f"{name or '(no name)'} at /{route}"
        for name, route in project_patterns()
        if not route.startswith(ADMIN_PREFIX) and name not in named
    ]
    assert not missing, "URL patterns with no row in access_matrix.MATRIX: " + "; ".join(missing)


def test_every_row_names_a_url_pattern() -> None:
    names = {name for name, _ in project_patterns()}
    assert [row.key for row in MATRIX if row.name not in names] == []
    assert any(row.name.startswith("admin:") for row in MATRIX), "the admin rule needs samples"


def test_the_walker_sees_every_kind_of_pattern() -> None:
    # Guards the walker itself: nested includes, namespaces and the admin are all found.
    names = {name for name, _ in project_patterns()}
    assert {"home", "escalations:detail", "evidence:download", "admin:index"} <= names
    assert any(route.startswith("admin/") and not name for name, route in project_patterns())


@pytest.fixture(scope="module")
def session_keys(access_world: AccessWorld, django_db_blocker: DjangoDbBlocker) -> dict[str, str]:
    """A signed-in session (password and one-time code) per role, kept for the module."""
    keys: dict[str, str] = {}
    with django_db_blocker.unblock():
        for role in ROLES:
            if role == "anonymous":
                continue
            client = Client()
            sign_in(client, access_world.person(role))
            keys[role] = client.session.session_key or ""
    return keys


@pytest.fixture(autouse=True)
def _sign_in_controls_on(settings: Settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    settings.AXES_ENABLED = True


def matches(response: HttpResponse, expected: Outcome) -> bool:
    if isinstance(expected, Redirect):
        return response.status_code == 302 and response["Location"].startswith(expected.to)
    return response.status_code == expected


def describe(response: HttpResponse) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} to {response['Location']}"
    return str(response.status_code)


# One client for every request: a new one loads the middleware again (WhiteNoise scans the
# static files, a third of a second). Its cookies are set afresh for each request.
CLIENT = Client()


def ask(
    world: AccessWorld, keys: dict[str, str], row: Row, role: str, method: str
) -> Iterator[tuple[str, str]]:
    """Make one request; yield (what happened, what should have) when it is not as expected."""
    path = reverse(row.name, kwargs=row.kwargs(world))
    expected = (row.get if method == "GET" else row.post).for_role(role, path)
    client = CLIENT
    client.cookies.clear()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = keys[role]
    refused = expected in REFUSALS
    with transaction.atomic():
        before = snapshot() if refused else {}
        response = client.get(path) if method == "GET" else client.post(path, row.body(world))
        changed = changed_tables(before, snapshot()) if refused else []
        transaction.set_rollback(True)
    where = f"{method} {path} as {role}"
    if not matches(response, expected):
        yield where, f"got {describe(response)}, expected {expected}"
    if changed:
        yield where, f"refused but changed {', '.join(changed)}"


@pytest.mark.parametrize("row", MATRIX, ids=[row.key for row in MATRIX])
def test_each_role_gets_what_the_matrix_says(
    row: Row, access_world: AccessWorld, session_keys: dict[str, str]
) -> None:
    problems = [
        f"{where}: {problem}"
        for role in ROLES
        for method in ("GET", "POST")
        for where, problem in ask(access_world, session_keys, row, role, method)
    ]
    assert not problems, "\n".join(problems)
