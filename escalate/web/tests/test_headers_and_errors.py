"""Every response carries the security headers; error pages say nothing about the system."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.http import Http404, HttpResponse
from django.test import Client
from django.urls import path

from escalate.directory.models import Role
from escalate.directory.tests.factories import TEST_PASSWORD, PersonFactory
from escalate.urls import urlpatterns as project_urls
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def _explode(request):
    raise RuntimeError("database password is hunter2 and the child is Sam Example")


def _missing(request):
    raise Http404("No Escalation matches RIV-2026-0042 for Sam Example")


def _download(request):
    return HttpResponse(b"%PDF-1.7", content_type="application/pdf")


urlpatterns = [
    *project_urls,
    path("test-only/explode/", _explode),
    path("test-only/missing/", _missing),
    path("test-only/download/", _download),
]


def _responses() -> dict[str, Any]:
    auditor = PersonFactory(roles=[Role.AUDITOR])
    practitioner = PersonFactory()
    signed_in, other, anonymous = Client(), Client(), Client()
    sign_in(signed_in, auditor)
    sign_in(other, practitioner)
    unverified = Client()
    unverified.force_login(PersonFactory())
    csrf_checked = Client(enforce_csrf_checks=True)
    sign_in(csrf_checked, practitioner)
    failing = Client(raise_request_exception=False)
    sign_in(failing, practitioner)
    locked = Client()
    return {
        "sign-in page": anonymous.get("/sign-in/"),
        "redirect to sign-in": anonymous.get("/"),
        "health": anonymous.get("/health/"),
        "home": signed_in.get("/"),
        "audit trail": signed_in.get("/audit/"),
        "password page": signed_in.get("/account/password/"),
        "code set-up": unverified.get("/account/two-factor/set-up/"),
        "403": other.get("/audit/"),
        "404 unknown address": signed_in.get("/no-such-page/"),
        "404 from a view": signed_in.get("/test-only/missing/"),
        "405": signed_in.post("/audit/"),
        "403 csrf": csrf_checked.post("/account/password/", {}),
        "500": failing.get("/test-only/explode/"),
        "download": signed_in.get("/test-only/download/"),
        "429 locked out": [
            locked.post("/sign-in/", {"username": auditor.email, "password": "wrong-one-x"})
            for _ in range(6)
        ][-1],
        "signed-in after password": Client().post(
            "/sign-in/", {"username": practitioner.email, "password": TEST_PASSWORD}
        ),
    }


@pytest.mark.urls(__name__)
def test_every_response_carries_the_security_headers(settings) -> None:
    settings.ESCALATE_REQUIRE_MFA = True
    settings.AXES_ENABLED = True
    responses = _responses()
    assert responses["429 locked out"].status_code == 429
    assert responses["403 csrf"].status_code == 403
    assert responses["500"].status_code == 500
    for name, response in responses.items():
        csp = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp, name
        assert "script-src 'self'" in csp, name
        assert "style-src 'self'" in csp, name
        assert "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["X-Frame-Options"] == "DENY", name
        assert "no-store" in response["Cache-Control"], name
        assert "camera=()" in response["Permissions-Policy"], name


def test_hsts_and_secure_cookies_are_on_in_production_settings() -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)"
    )
    env = {
        **os.environ,
        "ESCALATE_ENV": "production",
        "SECRET_KEY": "x" * 64,
        "ALLOWED_HOSTS": "escalate.example.org",
        "AUDIT_HASH_KEY": "ci-only-audit-" + "k3y" * 12,
        "DJANGO_SETTINGS_MODULE": "escalate.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == [
        "31536000", "True", "True", "True", "True", "True", "__Host-session", "__Host-csrftoken",
    ]  # fmt: skip


def test_hsts_header_is_sent_over_https(settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get("/sign-in/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_deploy_checks_pass_with_production_settings() -> None:
    env = {
        **os.environ,
        "ESCALATE_ENV": "production",
        "SECRET_KEY": "ci-only-" + "k3y" * 20,
        "ALLOWED_HOSTS": "escalate.example.org",
        "AUDIT_HASH_KEY": "ci-only-audit-" + "k3y" * 12,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_checks_fail_if_two_factor_is_switched_off() -> None:
    env = {
        **os.environ,
        "ESCALATE_ENV": "production",
        "SECRET_KEY": "ci-only-" + "k3y" * 20,
        "ALLOWED_HOSTS": "escalate.example.org",
        "AUDIT_HASH_KEY": "ci-only-audit-" + "k3y" * 12,
        "ESCALATE_REQUIRE_MFA": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "escalate.W001" in result.stderr + result.stdout


@pytest.mark.urls(__name__)
def test_404_pages_reveal_nothing_about_what_was_asked_for() -> None:
    client = Client()
    sign_in(client, PersonFactory())
    for address in ("/test-only/missing/", "/no-such-page/"):
        response = client.get(address)
        page = response.content.decode()
        assert response.status_code == 404
        assert "Page not found" in page
        assert "RIV-2026-0042" not in page and "Sam Example" not in page
        assert "Escalation" not in page.replace("Escalate", "")
        assert address not in page


@pytest.mark.urls(__name__)
def test_500_pages_reveal_nothing(settings) -> None:
    client = Client(raise_request_exception=False)
    sign_in(client, PersonFactory())
    response = client.get("/test-only/explode/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    for secret in ("hunter2", "Sam Example", "RuntimeError", "Traceback", "test-only"):
        assert secret not in page


TEMPLATE_DIRS = [p for p in (ROOT / "escalate").glob("*/templates") if p.is_dir()]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"(src|href)=\"(https?:)?//", re.I), "asset from another site"),
]


@pytest.mark.parametrize(
    "template",
    sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_templates_have_nothing_inline_for_the_csp_to_block(template: Path) -> None:
    text = template.read_text()
    for pattern, what in INLINE:
        assert not pattern.search(text), f"{what} in {template.relative_to(ROOT)}"


def test_static_files_carry_their_own_content_security_policy() -> None:
    response = Client().get("/static/frontend/escalate.css")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "sandbox" in policy
    assert response["X-Content-Type-Options"] == "nosniff"


def test_host_cookies_keep_their_prefix_rules_in_production_settings(settings) -> None:
    # __Host- cookies must be Secure, for path / and without a Domain, or browsers drop them.
    settings.SESSION_COOKIE_NAME = "__Host-session"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get("/sign-in/", secure=True)
    person = PersonFactory()
    client.post(
        "/sign-in/",
        {"username": person.email, "password": TEST_PASSWORD},
        secure=True,
        headers={"X-CSRFToken": client.cookies["__Host-csrftoken"].value},
    )
    for name in ("__Host-session", "__Host-csrftoken"):
        cookie = client.cookies[name]
        assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"], name
