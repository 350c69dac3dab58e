"""The privacy notice, accessibility statement and cookies page: readable by anyone, set by
the business unit of each partnership, linked from every page."""

from __future__ import annotations

import pytest
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.directory.models import Role
from escalate.directory.tests.factories import PersonFactory
from escalate.privacy.models import LegalPage
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["privacy", "accessibility", "cookies"])
def test_anyone_can_read_the_default_pages_before_signing_in(kind: str) -> None:
    response = Client().get(f"/legal/{kind}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/legal/{kind}/"' in page  # linked from the footer


def test_the_accessibility_statement_says_how_we_test() -> None:
    page = Client().get("/legal/accessibility/").content.decode()
    assert "WCAG 2.2" in page
    assert "Enforcement procedure" in page


def test_a_business_manager_sets_their_partnership_s_text_and_it_is_audited() -> None:
    manager = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    colleague = PersonFactory(agency__partnership=manager.partnership)
    stranger = PersonFactory()  # another partnership
    client = Client()
    sign_in(client, manager)
    form = client.get("/legal/privacy/edit/")
    assert form.status_code == 200
    assert "Error:" not in form.content.decode().split("</title>")[0]
    response = client.post("/legal/privacy/edit/", {"body": "Controller: Testshire Council."})
    assert response.status_code == 302
    assert LegalPage.objects.get().body == "Controller: Testshire Council."
    assert AuditEvent.objects.filter(action="legal_page_changed").count() == 1

    for person, sees in ((colleague, True), (stranger, False)):
        other = Client()
        sign_in(other, person)
        page = other.get("/legal/privacy/").content.decode()
        assert ("Controller: Testshire Council." in page) is sees


def test_an_empty_text_is_refused_with_a_clear_error() -> None:
    manager = PersonFactory(roles=[Role.BUSINESS_MANAGER])
    client = Client()
    sign_in(client, manager)
    response = client.post("/legal/cookies/edit/", {"body": ""})
    assert response.status_code == 200
    assert "Enter the page text" in response.content.decode()
    assert not LegalPage.objects.exists()


def test_only_the_business_manager_may_change_the_text() -> None:
    client = Client()
    sign_in(client, PersonFactory(roles=[Role.PARTNERSHIP_CHAIR]))
    assert client.get("/legal/privacy/edit/").status_code == 403
    assert client.post("/legal/privacy/edit/", {"body": "x"}).status_code == 403
    assert not LegalPage.objects.exists()


def test_an_unknown_page_is_not_found() -> None:
    assert Client().get("/legal/terms/").status_code == 404
