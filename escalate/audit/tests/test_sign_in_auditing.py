"""Sign-ins, sign-outs, failed sign-ins and refused accesses are written to the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import path

from escalate.audit.models import AuditEvent
from escalate.directory.tests.factories import TEST_PASSWORD, PersonFactory
from escalate.urls import urlpatterns as project_urls

pytestmark = pytest.mark.django_db


def _refuse_not_found(request):
    raise Http404("No escalation matches the given query.")


def _refuse_forbidden(request):
    raise PermissionDenied


urlpatterns = [
    *project_urls,
    path("test-only/missing/", _refuse_not_found),
    path("test-only/forbidden/", _refuse_forbidden),
]


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_signing_in_and_out_is_audited() -> None:
    person = PersonFactory(email="audited@testshire.example.org")
    client = Client(HTTP_USER_AGENT="TestBrowser/1.0")
    client.post("/sign-in/", {"username": person.email, "password": TEST_PASSWORD})
    client.post("/sign-out/")
    events = list(AuditEvent.objects.order_by("pk"))
    assert [e.action for e in events] == ["sign_in", "sign_out"]
    assert all(e.actor_id == person.pk for e in events)
    assert all(e.partnership_id == person.partnership_id for e in events)
    assert events[0].ip_address == "127.0.0.1"
    assert events[0].user_agent == "TestBrowser/1.0"


def test_a_failed_sign_in_is_audited_against_the_account_without_the_typed_text() -> None:
    person = PersonFactory(email="target@testshire.example.org")
    Client().post("/sign-in/", {"username": person.email, "password": "a-wrong-password"})
    event = AuditEvent.objects.get()
    assert event.action == "sign_in_failed"
    assert event.actor is None
    assert event.partnership_id == person.partnership_id
    assert event.object_id == str(person.pk)
    assert "a-wrong-password" not in str(event.__dict__)


def test_a_failed_sign_in_for_no_such_account_goes_to_the_platform_chain() -> None:
    Client().post("/sign-in/", {"username": "nobody@example.org", "password": "whatever-it-is"})
    event = AuditEvent.objects.get()
    assert event.chain_key == "platform"
    assert event.partnership is None
    assert "nobody@example.org" not in str(event.__dict__)


@pytest.mark.urls(__name__)
def test_a_404_from_an_access_helper_is_audited_as_refused() -> None:
    person = PersonFactory()
    client = Client()
    client.force_login(person)
    response = client.get("/test-only/missing/")
    assert response.status_code == 404
    event = AuditEvent.objects.filter(action="access_refused").get()
    assert event.actor_id == person.pk
    assert "GET /test-only/missing/" in event.reason


@pytest.mark.urls(__name__)
def test_a_403_is_audited_as_refused() -> None:
    person = PersonFactory()
    client = Client()
    client.force_login(person)
    assert client.get("/test-only/forbidden/").status_code == 403
    assert AuditEvent.objects.filter(action="access_refused", actor=person).count() == 1


def test_an_unknown_address_is_not_an_audited_refusal() -> None:
    person = PersonFactory()
    client = Client()
    client.force_login(person)
    assert client.get("/no-such-page/").status_code == 404
    assert "access_refused" not in _actions()
