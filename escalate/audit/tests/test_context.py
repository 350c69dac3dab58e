"""The request's origin reaches record_audit without a `request` argument, and only during it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from escalate.audit.context import current_origin
from escalate.audit.middleware import AuditContextMiddleware
from escalate.audit.services import fingerprint, record_audit
from escalate.directory.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_middleware_comes_right_after_the_security_middleware() -> None:
    middleware = list(settings.MIDDLEWARE)
    position = middleware.index("escalate.audit.middleware.AuditContextMiddleware")
    assert middleware[position - 1] == "django.middleware.security.SecurityMiddleware"


def test_record_audit_without_a_request_takes_the_origin_of_the_request_being_served() -> None:
    person = PersonFactory()
    seen = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(record_audit(actor=person, action="x", partnership=person.partnership))
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.9", HTTP_USER_AGENT="A" * 500)
    AuditContextMiddleware(view)(request)
    (event,) = seen
    assert event.ip_address == "192.0.2.9"
    assert event.user_agent == "A" * 200
    # After the request nothing is left behind for the next one on this thread.
    assert current_origin().ip_address is None
    later = record_audit(actor=person, action="x", partnership=person.partnership)
    assert (later.ip_address, later.user_agent) == (None, "")


def test_the_origin_is_cleared_even_when_the_view_fails() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("boom")

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10")
    with pytest.raises(RuntimeError):
        AuditContextMiddleware(view)(request)
    assert current_origin().ip_address is None


def test_an_explicit_request_wins_over_the_current_one() -> None:
    person = PersonFactory()
    seen = []
    other = RequestFactory().get("/", REMOTE_ADDR="198.51.100.1")

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(
            record_audit(actor=person, action="x", partnership=person.partnership, request=other)
        )
        return HttpResponse()

    AuditContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="192.0.2.11"))
    assert seen[0].ip_address == "198.51.100.1"


def test_a_fingerprint_stands_for_text_without_repeating_it() -> None:
    text = "Alex Example was not seen at school."
    print_ = fingerprint(text)
    assert "Alex" not in print_
    assert print_ == fingerprint(text)
    assert print_ != fingerprint(text + " ")
    assert f"({len(text)} characters)" in print_
    assert fingerprint("") == ""


def test_a_fingerprint_depends_on_the_audit_key(settings: object) -> None:
    before = fingerprint("Alex")
    settings.AUDIT_HASH_KEY = "another key"  # type: ignore[attr-defined]
    assert fingerprint("Alex") != before
