"""No input ever causes a 500: every URL of the access matrix, sent what no form would send.

Each row is asked, as a role the matrix lets in (so the view itself runs, not only the sign-in
redirect), with: a NUL or other control character in the path, the query and every form field;
very long values; bytes that are not UTF-8; a Host header the site does not answer to; and, for
the API, malformed and hostile JSON. Nothing may answer 5xx, and under /api/ every error must be
JSON. Each request runs in a savepoint that is rolled back. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from escalate.web.testing import rolled_back, sign_in
from escalate.web.tests.access_matrix import API_PREFIX, MATRIX, Expect, Redirect, Row
from escalate.web.tests.access_world import ROLES, AccessWorld, api_bearer_token

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = (
    "\x00",
    "before\x00after",
    "\x01\x02\x08\x0b\x0c\x1b\x1f\x7f",
    "x" * 100_000,
    "\ufeff\u202e\u200b",  # BOM, right-to-left override, zero-width space
    "' OR 1=1 -- <script>alert(1)</script>",
    "-1",
    "99999999999999999999999999",
    "2026-02-31",
    "../../etc/passwd",
)
# Query parameters the pages read (filters, paging, return addresses), plus the form fields.
QUERY_KEYS = (
    "q", "page", "reference", "person", "agency", "status", "stage", "category", "from", "to",
    "date_from", "date_to", "year", "period", "next", "format", "sort", "kind", "action",
)  # fmt: skip
BAD_FORM_BODIES = (
    b"reason=%FF%FE%00&summary=%C3%28&expected_version=%80",  # not UTF-8
    b"%00=%00&&&==&reason",
    b"reason=" + b"%41" * 300_000,  # large after decoding
)
BAD_JSON_BODIES = (
    b"{not json",
    b"",
    b"null",
    b"[]",
    b'"a string"',
    b'{"summary": "\\u0000", "subject_name": "a\\u0000b", "expected_version": "\\u0000"}',
    b'{"summary": "\\ud800"}',  # a lone surrogate
    b"[" * 5_000 + b"]" * 5_000,
    b'{"expected_version": 1e999, "owner_id": -99999999999999999999}',
    b"\xff\xfe\x00{",
)
# Roles to try a row as, most able first: whoever the matrix lets in runs the view itself.
PREFERENCE = (
    "raiser",
    "business_manager",
    "auditor",
    "administrator",
    "superuser",
    "respondent_manager",
    "partnership_chair",
    "panel_member",
    "anonymous",
)


def _lets_in(expect: Expect, role: str, path: str) -> bool:
    outcome = expect.for_role(role, path)
    return (isinstance(outcome, int) and outcome < 400) or (
        isinstance(outcome, Redirect) and not outcome.to.startswith(("/sign-in/", "/admin/login/"))
    )


def role_for(row: Row, path: str) -> str:
    for expect in (row.post, row.get):
        for role in (*PREFERENCE, *ROLES):
            if role in ROLES and _lets_in(expect, role, path):
                return role
    return "raiser"


@pytest.fixture(scope="module")
def credentials(
    access_world: AccessWorld, django_db_blocker: DjangoDbBlocker
) -> dict[str, tuple[str, str]]:
    """(session key, API token) per signed-in role, kept for the module."""
    found: dict[str, tuple[str, str]] = {}
    with django_db_blocker.unblock():
        for role in ROLES:
            if role == "anonymous":
                continue
            client = Client()
            sign_in(client, access_world.person(role))
            found[role] = (
                client.session.session_key or "",
                api_bearer_token(access_world.person(role)),
            )
    return found


@pytest.fixture(autouse=True)
def _sign_in_controls_on(settings: Settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    settings.AXES_ENABLED = True
    # Every role asks for a password reset from the one test address; the per-address limit
    # itself is tested in accounts/tests/test_views.py.
    settings.PASSWORD_RESET_ADDRESS_LIMIT = "100000/hour"


CLIENT = Client(raise_request_exception=False)


def _hostile_paths(row: Row, kwargs: dict[str, Any], path: str) -> Iterator[str]:
    """The row's path with a control character (or its escape) after each argument."""
    for value in kwargs.values():
        written = quote(str(value), safe="")
        for suffix in ("\x00", "\x1f", "%00", "\u202e"):
            yield path.replace(f"/{written}/", f"/{written}{quote(suffix, safe='')}/", 1)


def _requests(world: AccessWorld, row: Row) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, client keyword arguments) for every hostile request to `row`."""
    kwargs = row.kwargs(world)
    path = reverse(row.name, kwargs=kwargs)
    for hostile_path in _hostile_paths(row, kwargs, path):
        yield "GET", hostile_path, {}
        yield "POST", hostile_path, {"data": row.body(world)} if row.auth == "session" else {}
    yield "GET", path + "%00/", {}
    yield "GET", path, {"HTTP_HOST": "attacker.example.net"}
    yield "POST", path, {"HTTP_HOST": "attacker.example.net", "data": {}}
    for value in HOSTILE_VALUES:
        yield "GET", path, {"data": dict.fromkeys(QUERY_KEYS, value)}
    body = row.body(world)
    if row.auth == "bearer":
        for raw in BAD_JSON_BODIES:
            yield "POST", path, {"data": raw, "content_type": "application/json"}
        yield "POST", path, {"data": b"a=b", "content_type": "text/plain"}
        for value in HOSTILE_VALUES[:4]:
            yield (
                "POST",
                path,
                {"data": dict.fromkeys(body, value), "content_type": "application/json"},
            )
        return
    for value in HOSTILE_VALUES:
        yield "POST", path, {"data": _form_with(body, value)}
    for raw in BAD_FORM_BODIES:
        yield "POST", path, {"data": raw, "content_type": "application/x-www-form-urlencoded"}
    yield (
        "POST",
        path,
        {"data": MULTIPART_NUL_NAME, "content_type": "multipart/form-data; boundary=x"},
    )


MULTIPART_NUL_NAME = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a\x00.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--x--\r\n"
)


def _form_with(body: dict[str, Any], value: str) -> dict[str, Any]:
    hostile: dict[str, Any] = {}
    for key, field in body.items():
        if hasattr(field, "read"):
            hostile[key] = field
        elif isinstance(field, list):
            hostile[key] = [value]
        else:
            hostile[key] = f"{field}{value}"
    return hostile


def ask(world: AccessWorld, creds: dict[str, tuple[str, str]], row: Row) -> Iterator[str]:
    path = reverse(row.name, kwargs=row.kwargs(world))
    role = role_for(row, path)
    for method, url, options in _requests(world, row):
        CLIENT.cookies.clear()
        headers: dict[str, str] = {}
        if role != "anonymous" and row.auth == "bearer":
            headers["Authorization"] = f"Bearer {creds[role][1]}"
        elif role != "anonymous":
            CLIENT.cookies[settings.SESSION_COOKIE_NAME] = creds[role][0]
        options = dict(options)
        data = options.pop("data", None)
        with rolled_back():
            if method == "GET":
                response = CLIENT.get(url, data, headers=headers, **options)
            else:
                response = CLIENT.post(url, data or {}, headers=headers, **options)
        shown = repr(options or data)[:120]
        if response.status_code >= 500:
            yield f"{method} {url!r} as {role} {shown}: {response.status_code}"
        elif (
            url.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response["Content-Type"].startswith("application/json")
        ):
            yield f"{method} {url!r} as {role} {shown}: {response.status_code} not JSON"


@pytest.mark.parametrize("row", MATRIX, ids=[row.key for row in MATRIX])
def test_no_hostile_input_gets_a_server_error(
    row: Row, access_world: AccessWorld, credentials: dict[str, tuple[str, str]]
) -> None:
    problems = list(ask(access_world, credentials, row))
    assert not problems, "\n".join(problems)


# --- the raise pages keep what was typed around a NUL (PostgreSQL refused the draft) ------


def _raise_as_far_as_the_child(client: Client, world: AccessWorld) -> None:
    client.post(
        reverse("escalations:raise_step", args=["immediate-danger"]), {"immediate_harm": "no"}
    )
    client.post(
        reverse("escalations:raise_step", args=["agency"]),
        {"respondent_agency": world.a.world.csc.pk},
    )
    client.post(
        reverse("escalations:raise_step", args=["professional"]),
        {"respondent_choice": str(world.a.world.social_worker.pk)},
    )


def test_a_nul_typed_on_the_raise_pages_keeps_the_rest_of_the_text(
    access_world: AccessWorld,
) -> None:
    client = Client(raise_request_exception=False)
    sign_in(client, access_world.person("raiser"))
    _raise_as_far_as_the_child(client, access_world)
    child = reverse("escalations:raise_step", args=["child-or-adult"])
    refused = client.post(
        child,
        {
            "subject_kind": "child",
            "subject_name": "Alex\x00 Example",
            "subject_date_of_birth_day": "32",  # wrong, so the page comes back with the text
            "subject_date_of_birth_month": "4",
            "subject_date_of_birth_year": "2015",
            "case_references": "LCS\x00 12345",
        },
    )
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "govuk-error-summary" in page
    assert 'value="Alex Example"' in page
    assert "LCS 12345" in page

    accepted = client.post(
        reverse("escalations:raise_step", args=["disputed"]),
        {"disputed": "The referral\x00 was closed\x1b with no further action."},
    )
    assert accepted.status_code == 302
    again = client.get(reverse("escalations:raise_step", args=["disputed"])).content.decode()
    assert "The referral was closed with no further action." in again


# --- API clients get JSON, also when the database is down --------------------------------


def test_api_clients_get_a_json_error_when_the_database_is_down(monkeypatch) -> None:
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    monkeypatch.setattr(CursorWrapper, "executemany", refuse)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/escalations", headers={"Authorization": "Bearer esc_x_y"})
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "server_error"
    assert "127.0.0.1" not in response.content.decode()


def test_a_wrong_host_is_a_400_page_not_a_server_error() -> None:
    client = Client(raise_request_exception=False)
    page = client.get("/sign-in/", HTTP_HOST="attacker.example.net")
    assert page.status_code == 400
    assert "Sorry, there is a problem with the service" in page.content.decode()
    api = client.get("/api/v1/escalations", HTTP_HOST="attacker.example.net")
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "bad_request"
