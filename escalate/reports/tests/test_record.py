"""The record of one escalation for the child's file: PDF and DOCX, audited with the reason."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.services import ActionSpec
from escalate.escalations.tests.factories import World, make_world
from escalate.reports.tests.record_support import docx_text, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world(notifications=[], access_roles=["business_manager"])


def resolved_at_stage_2(world: World) -> Escalation:
    escalation = services.raise_escalation(
        by=world.teacher, details=world.details(subject_name="Robin Example")
    )
    services.record_discussion(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        held_on=timezone.localdate(),
        with_whom="The social worker",
        method="phone",
        summary="We talked about the home visit that did not happen.",
        outcome="We still disagree about closing the case.",
    )
    escalation.refresh_from_db()
    services.escalate_to_next_stage(
        escalation=escalation,
        by=world.teacher,
        expected_version=escalation.version,
        reason="No agreement at stage 1.",
    )
    escalation.refresh_from_db()
    return services.resolve_escalation(
        escalation=escalation,
        by=world.dsl,
        expected_version=escalation.version,
        decision="The case stays open for an assessment.",
        decided_by="Both line managers",
        learning="Share referral outcomes in writing.",
        learning_themes=["communication"],
        actions=[
            ActionSpec(
                owner=world.team_manager,
                description="Start the assessment this week",
                due_on=timezone.localdate() + timedelta(days=7),
            )
        ],
    )


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def url(escalation: Escalation, file_format: str) -> str:
    return reverse("reports:escalation_record", args=[escalation.reference, file_format])


def test_the_pdf_is_audited_with_the_reason_and_named_for_the_reference(world: World) -> None:
    escalation = resolved_at_stage_2(world)
    client = client_for(world.teacher)  # the raiser: a practitioner who needs it for the file
    form = client.get(url(escalation, "pdf"))
    assert form.status_code == 200
    assert "Why do you need this export?" in form.content.decode()
    response = client.post(url(escalation, "pdf"), {"reason": "For the child's school file"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="escalation-{escalation.reference}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in (
        f"Escalation record {escalation.reference}",
        f"Held by {world.partnership.name}",
        "Robin Example",
        "We talked about the home visit that did not happen.",
        "We still disagree about closing the case.",
        "The social worker",
        "Phone call",
        "Start the assessment this week",
        "The case stays open for an assessment.",
    ):
        assert expected in text, expected
    event = AuditEvent.objects.get(action="export_escalation_record_pdf")
    assert event.reason == "For the child's school file"
    assert event.object_reference == escalation.reference
    assert event.actor == world.teacher
    # The next copy lists the first one.
    again = client.post(url(escalation, "docx"), {"reason": "Second copy"})
    assert "Record (PDF)" in docx_text(again.content)


def test_the_docx_has_real_heading_and_table_styles(world: World) -> None:
    escalation = resolved_at_stage_2(world)
    response = client_for(world.business_manager).post(
        url(escalation, "docx"), {"reason": "Agency report for the review"}
    )
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    headings = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    assert headings[:3] == [
        ("Heading 1", "The concern"),
        ("Heading 1", "People and agencies"),
        ("Heading 1", "Stages, discussions and decisions"),
    ]
    assert ("Heading 2", "Stage 1") in headings
    assert any(style == "Heading 3" and "Discussion" in text for style, text in headings)
    assert document.core_properties.title.startswith(f"Escalation record {escalation.reference}")
    assert document.core_properties.language == "en-GB"
    assert {table.style.name for table in document.tables} == {"Table Grid"}
    people = document.tables[1]
    assert people.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in people.rows)
    assert AuditEvent.objects.get(action="export_escalation_record_docx").reason == (
        "Agency report for the review"
    )


def test_no_reason_no_file(world: World) -> None:
    escalation = resolved_at_stage_2(world)
    response = client_for(world.teacher).post(url(escalation, "pdf"), {"reason": "  "})
    assert response.status_code == 400
    assert "Enter why you need this export" in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()


def test_someone_who_cannot_see_the_escalation_gets_404(world: World) -> None:
    escalation = resolved_at_stage_2(world)
    for person in (world.outsider, world.head, make_world().business_manager):
        client = client_for(person)
        assert client.get(url(escalation, "pdf")).status_code == 404
        assert client.post(url(escalation, "docx"), {"reason": "Curious"}).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()
