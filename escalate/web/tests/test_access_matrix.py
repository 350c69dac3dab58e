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
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from escalate.web.testing import rolled_back, sign_in
from escalate.web.tests.access_matrix import (
    ADMIN_PREFIX,
    ADMIN_SIGN_IN,
    API_PREFIX,
    API_UNAUTHORISED,
    MATRIX,
    SIGN_IN,
    Outcome,
    Redirect,
    Row,
)
from escalate.web.tests.access_world import (
    ROLES,
    AccessWorld,
    api_bearer_token,
    changed_tables,
    snapshot,
)

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


def patterns_without_a_row(patterns: list[tuple[str, str]], rows: list[Row]) -> list[str]:
    """Each pattern no row covers, named with its route (admin: covered by the admin rule)."""
    named = {row.name for row in rows}
    return [
        f"{name or '(no name)'} at /{route}"
        for name, route in patterns
        if not route.startswith(ADMIN_PREFIX) and name not in named
    ]


def test_every_url_pattern_has_a_row() -> None:
    missing = patterns_without_a_row(project_patterns(), MATRIX)
    assert not missing, "URL patterns with no row in access_matrix.MATRIX: " + "; ".join(missing)


def test_a_new_pattern_without_a_row_is_named() -> None:
    patterns = [*project_patterns(), ("escalations:new_page", "escalations/<str:reference>/new/")]
    assert patterns_without_a_row(patterns, MATRIX) == [
        "escalations:new_page at /escalations/<str:reference>/new/"
    ]
    assert patterns_without_a_row([("", "unnamed/")], MATRIX) == ["(no name) at /unnamed/"]


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


@pytest.fixture(scope="module")
def bearer_tokens(access_world: AccessWorld, django_db_blocker: DjangoDbBlocker) -> dict[str, str]:
    """An API token per role, made only if a row of the matrix is an API row."""
    if not any(row.auth == "bearer" for row in MATRIX):
        return {}
    with django_db_blocker.unblock():
        return {
            role: api_bearer_token(access_world.person(role))
            for role in ROLES
            if role != "anonymous"
        }


@pytest.fixture(autouse=True)
def _sign_in_controls_on(settings: Settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    settings.AXES_ENABLED = True
    # Every role asks for a password reset from the one test address; the per-address limit
    # itself is tested in accounts/tests/test_views.py.
    settings.PASSWORD_RESET_ADDRESS_LIMIT = "100000/hour"


def matches(response: HttpResponse, expected: Outcome, path: str) -> bool:
    if isinstance(expected, Redirect):
        return response.status_code == 302 and response["Location"].startswith(expected.to)
    if path.startswith(API_PREFIX) and response.status_code >= 400:
        # The API answers its refusals in JSON, never with an HTML page.
        return response.status_code == expected and response["Content-Type"].startswith(
            "application/json"
        )
    return response.status_code == expected


def describe(response: HttpResponse) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} to {response['Location']}"
    return str(response.status_code)


# One client for every request: a new one loads the middleware again (WhiteNoise scans the
# static files, a third of a second). Its cookies are set afresh for each request.
CLIENT = Client()


def ask(
    world: AccessWorld,
    keys: dict[str, str],
    row: Row,
    role: str,
    method: str,
    tokens: dict[str, str] | None = None,
) -> Iterator[tuple[str, str]]:
    """Make one request; yield (what happened, what should have) when it is not as expected."""
    path = reverse(row.name, kwargs=row.kwargs(world))
    expected = (row.get if method == "GET" else row.post).for_role(role, path)
    client = CLIENT
    client.cookies.clear()
    headers: dict[str, str] = {}
    if role != "anonymous" and row.auth == "bearer":
        headers["Authorization"] = f"Bearer {(tokens or {})[role]}"
    elif role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = keys[role]
    refused = expected in REFUSALS
    with rolled_back():
        before = snapshot() if refused else {}
        if method == "GET":
            response = client.get(path, headers=headers)
        elif row.auth == "bearer":
            response = client.post(
                path, row.body(world), content_type="application/json", headers=headers
            )
        else:
            response = client.post(path, row.body(world), headers=headers)
        changed = changed_tables(before, snapshot()) if refused else []
    where = f"{method} {path} as {role}"
    if not matches(response, expected, path):
        yield where, f"got {describe(response)}, expected {expected}"
    if changed:
        yield where, f"refused but changed {', '.join(changed)}"


@pytest.mark.parametrize("row", MATRIX, ids=[row.key for row in MATRIX])
def test_each_role_gets_what_the_matrix_says(
    row: Row,
    access_world: AccessWorld,
    session_keys: dict[str, str],
    bearer_tokens: dict[str, str],
) -> None:
    problems = [
        f"{where}: {problem}"
        for role in ROLES
        for method in ("GET", "POST")
        for where, problem in ask(access_world, session_keys, row, role, method, bearer_tokens)
    ]
    assert not problems, "\n".join(problems)
