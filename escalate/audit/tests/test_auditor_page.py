"""Auditors read their own partnership's audit trail; nobody else can, and nobody can edit it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from escalate.audit.services import record_audit
from escalate.directory.models import Role
from escalate.directory.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor():
    return PersonFactory(roles=[Role.AUDITOR], full_name="Alex Auditor")


def _client_for(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_an_auditor_sees_their_partnerships_events_only(auditor) -> None:
    colleague = PersonFactory(agency__partnership=auditor.partnership, full_name="Casey Colleague")
    outsider = PersonFactory(full_name="Other Partnership Person")
    record_audit(
        actor=colleague,
        action="escalation_viewed",
        partnership=colleague.partnership,
        reference="TST-2026-0001",
    )
    record_audit(
        actor=outsider,
        action="escalation_viewed",
        partnership=outsider.partnership,
        reference="OTH-2026-0009",
    )
    page = _client_for(auditor).get("/audit/").content.decode()
    assert "TST-2026-0001" in page
    assert "Casey Colleague" in page
    assert "OTH-2026-0009" not in page
    assert "Other Partnership Person" not in page


def test_people_without_the_auditor_role_are_refused(auditor) -> None:
    manager = PersonFactory(
        agency__partnership=auditor.partnership, roles=[Role.BUSINESS_MANAGER, Role.ADMINISTRATOR]
    )
    assert _client_for(manager).get("/audit/").status_code == 403


def test_the_audit_page_accepts_no_edits(auditor) -> None:
    client = _client_for(auditor)
    assert client.post("/audit/").status_code == 405
    assert client.delete("/audit/").status_code == 405


def test_filter_by_reference_and_person(auditor) -> None:
    colleague = PersonFactory(agency__partnership=auditor.partnership, full_name="Jordan Filter")
    record_audit(actor=colleague, action="a", partnership=auditor.partnership, reference="TST-1")
    record_audit(actor=auditor, action="b", partnership=auditor.partnership, reference="TST-2")
    client = _client_for(auditor)
    by_reference = client.get("/audit/", {"reference": "TST-2"}).content.decode()
    assert "TST-2" in by_reference and "TST-1<" not in by_reference
    by_person = client.get("/audit/", {"actor": "jordan"}).content.decode()
    assert "TST-1" in by_person and "TST-2" not in by_person


def test_filter_by_date(auditor) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False):
        record_audit(actor=auditor, action="a", partnership=auditor.partnership, reference="OLD-1")
    record_audit(actor=auditor, action="b", partnership=auditor.partnership, reference="NEW-1")
    page = (
        _client_for(auditor)
        .get(
            "/audit/",
            {
                "date_from_day": "1",
                "date_from_month": "3",
                "date_from_year": "2026",
                "date_to_day": "3",
                "date_to_month": "3",
                "date_to_year": "2026",
            },
        )
        .content.decode()
    )
    assert "OLD-1" in page
    assert "NEW-1" not in page  # written today, after 3 March 2026


def test_a_bad_date_is_explained_and_the_input_kept(auditor) -> None:
    response = _client_for(auditor).get(
        "/audit/", {"date_from_day": "31", "date_from_month": "2", "date_from_year": "2026"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "From must be a real date" in page
    assert 'value="31"' in page
