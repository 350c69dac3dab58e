"""The record of one escalation for the child's file: PDF and DOCX, audited with the reason."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.services import ActionSpec
from escalate.escalations.tests.factories import World, make_world

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
        method="Phone",
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


def test_the_pdf_holds_the_concern_people_stages_actions_outcome_and_timeline(
    world: World,
) -> None:
    escalation = resolved_at_stage_2(world)
    client = client_for(world.teacher)  # the raiser: a practitioner who needs it for the file
    form = client.get(url(escalation, "pdf"))
    assert form.status_code == 200
    assert "Why do you need this export?" in form.content.decode()
    response = client.post(url(escalation, "pdf"), {"reason": "For the child's school file"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="escalation-{escalation.reference}.pdf"' in response["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for expected in (
        f"Escalation record {escalation.reference}",
        "Robin Example",
        "The decision to close the case.",
        world.teacher.full_name,
        world.csc.name,
        "Stage 1",
        "Stage 2",
        "We talked about the home visit that did not happen.",
        "No agreement at stage 1.",
        "Start the assessment this week",
        "The case stays open for an assessment.",
        "Share referral outcomes in writing.",
        "6. Timeline",
        "Raised",
        "Discussion",
        "Escalated",
        "Resolved",
    ):
        assert expected in text, expected
    event = AuditEvent.objects.get(action="export_escalation_record_pdf")
    assert event.reason == "For the child's school file"
    assert event.object_reference == escalation.reference
    assert event.actor == world.teacher


def test_the_docx_is_readable_and_laid_out_like_the_escalation_form(world: World) -> None:
    escalation = resolved_at_stage_2(world)
    response = client_for(world.business_manager).post(
        url(escalation, "docx"), {"reason": "Agency report for the review"}
    )
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == [
        "1. The concern",
        "2. People and agencies",
        "3. Stages, discussions and decisions",
    ]
    assert "6. Timeline" in headings
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert "Robin Example" in cells
    assert "Start the assessment this week" in cells
    paragraphs = " ".join(p.text for p in document.paragraphs)
    assert "We talked about the home visit that did not happen." in paragraphs
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
