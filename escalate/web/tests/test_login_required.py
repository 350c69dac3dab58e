"""Every page needs a signed-in person unless it says otherwise (LoginRequiredMiddleware)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from escalate.directory.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

# Pages open to anonymous visitors, and why.
PUBLIC = {
    "login": "the sign-in page itself",
    "health": "the load balancer's health check",
    "page": "the privacy notice, accessibility statement and cookies page are read before sign-in",
    "health_live": "the load balancer's liveness probe",
    "health_ready": "the load balancer's readiness probe",
    "metrics": "a Prometheus scraper holds METRICS_TOKEN instead of signing in (404 without it)",
    "feed": "calendar apps cannot sign in; a private revocable token is the credential",
    "password_reset": "asking for a password reset: someone who cannot sign in",
    "set_password": "the single-use link from an invitation or reset email is the credential",
    "password_set": "says the password is set and links to sign in",
    "oidc_start": "sends someone who is not signed in yet to their identity provider",
    "oidc_callback": "the identity provider sends the person back here to be signed in",
    "notify_receipt": "GOV.UK Notify's delivery receipts carry its bearer token (401 without)",
    "docs": "the API's documentation, drawn from the public OpenAPI document (docs/api.md)",
}


def _named_patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if "admin" in str(pattern.pattern):
                continue  # Django's admin has its own login, tested in directory/tests/test_admin
            found += _named_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((pattern.name, prefix + str(pattern.pattern)))
    return found


def _example_path(route: str) -> str:
    import re

    path = re.sub(r"<int:[^>]+>", "1", route)
    path = re.sub(r"<uuid:[^>]+>", "00000000-0000-0000-0000-000000000000", path)
    path = re.sub(r"<[^>]+>", "x", path)
    path = path.lstrip("^").rstrip("$").replace("\\Z", "")
    return "/" + path


# The JSON API checks a Bearer token itself: without one, 401 JSON rather than a redirect.
# (An operation that only takes POST answers a GET with 405 before looking for a token.)
API_ROUTES = ("api/v1/", "api/^v1/")
API_PUBLIC = {"openapi-json": {200}, "api-root": {404}, "not_found": {404}}


@pytest.mark.parametrize(("name", "route"), _named_patterns(get_resolver()))
def test_anonymous_visitors_are_sent_to_sign_in(name: str, route: str) -> None:
    if route.startswith(API_ROUTES):
        path = "/api/v1/nothing/" if name == "not_found" else _example_path(route)
        response = Client().get(path)
        assert response.status_code in API_PUBLIC.get(name, {401, 405}), name
        assert response["Content-Type"].startswith("application/json"), name
        return
    if name in PUBLIC:
        pytest.skip(f"public: {PUBLIC[name]}")
    response = Client().get(_example_path(route))
    assert response.status_code == 302, f"{name} ({route}) answered {response.status_code}"
    assert response["Location"].startswith("/sign-in/")


def test_home_shows_the_persons_name_agency_and_partnership() -> None:
    person = PersonFactory(full_name="Avery Example")
    client = Client()
    client.force_login(person)
    page = client.get("/").content.decode()
    assert "Avery Example" in page
    assert person.agency.name in page
    assert person.partnership.name in page
    assert "If a child or adult is in immediate danger call" in page
    assert 'href="tel:999"' in page  # tap-to-call


def test_sign_in_with_email_and_password_reaches_home() -> None:
    person = PersonFactory(email="sign.in@testshire.example.org")
    client = Client()
    response = client.post(
        "/sign-in/",
        {"username": "sign.in@testshire.example.org", "password": "a-long-test-passphrase-2026"},
    )
    assert response.status_code == 302
    assert client.get("/").context["user"] == person


def test_wrong_password_shows_an_error_summary_and_keeps_the_email() -> None:
    PersonFactory(email="typo@testshire.example.org")
    response = Client().post(
        "/sign-in/", {"username": "typo@testshire.example.org", "password": "not-the-password"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a correct email address and password" in page
    assert 'value="typo@testshire.example.org"' in page


def test_empty_sign_in_names_both_fields() -> None:
    page = Client().post("/sign-in/", {"username": "", "password": ""}).content.decode()
    assert "Enter your email address" in page
    assert "Enter your password" in page
    assert 'href="#id_username"' in page
