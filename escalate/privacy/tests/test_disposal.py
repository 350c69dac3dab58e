"""Disposal of records past retention (issue 21's "done when"): escalations across the years,
the retention review, disposal of those due (personal data gone from the database and storage,
figures unchanged, the audit trail intact and holding the disposal), held records kept."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from escalate.audit.models import AuditEvent
from escalate.escalations import services
from escalate.escalations.models import Escalation, Status
from escalate.escalations.tests.factories import World, make_world
from escalate.escalations.tests.views_support import signed_in
from escalate.evidence.models import Attachment
from escalate.evidence.services import attach_evidence
from escalate.evidence.storage import evidence_storage
from escalate.privacy import services as privacy
from escalate.privacy.disposal import _rows_of
from escalate.privacy.review import retention_review
from escalate.reports.selectors import Filters, dashboard

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SECRET = "Zebedee Quorndon"


def _closed(world: World, *, years_ago: float, name: str = SECRET) -> Escalation:
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            subject_name=name,
            subject_date_of_birth=date(2001, 2, 3),
            case_references=f"LCS {name}",
            disputed=f"{name} was not seen.",
            risk=f"{name} may be harmed.",
        ),
    )
    attach_evidence(
        by=world.teacher,
        escalation=escalation,
        upload=SimpleUploadedFile(f"{name}.pdf", PDF, content_type="application/pdf"),
    )
    closed = timezone.now() - timedelta(days=int(365.25 * years_ago))
    Escalation.objects.filter(pk=escalation.pk).update(status=Status.RESOLVED, closed_at=closed)
    escalation.refresh_from_db()
    return escalation


def _everything_held(escalation: Escalation) -> str:
    return json.dumps(
        [
            {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
            for row in _rows_of(escalation)
        ],
        default=str,
    )


def test_records_due_are_disposed_of_provably_and_held_ones_kept() -> None:
    world = make_world()
    due = _closed(world, years_ago=36)
    held = _closed(world, years_ago=37)
    recent = _closed(world, years_ago=5)
    bm = world.business_manager
    privacy.place_legal_hold(by=bm, escalation=held, reason="Practice review")
    figures_before = dashboard(bm, Filters())
    files = {e.pk: Attachment.objects.get(escalation=e).stored_name for e in (due, held, recent)}

    review = retention_review(bm, today=timezone.localdate())
    assert review.due == [due] and review.held == [held]

    dry = privacy.dispose_escalation(by=bm, escalation=due, reason="Past retention", dry_run=True)
    assert dry.rows_changed > 0 and dry.files == [files[due.pk]]
    assert SECRET in _everything_held(due)  # a dry run changes nothing
    assert not AuditEvent.objects.filter(action="escalation_disposed").exists()

    report = privacy.dispose_escalation(
        by=bm, escalation=due, reason="Past retention", dry_run=False
    )
    assert report.fields == dry.fields
    due.refresh_from_db()
    held_text = _everything_held(due)
    for secret in (
        SECRET,
        "Zebedee",
        "2001-02-03",
        world.teacher.email,
        world.social_worker.full_name,
    ):
        assert secret not in held_text, secret
    assert not evidence_storage().exists(files[due.pk])
    assert evidence_storage().exists(files[held.pk]) and evidence_storage().exists(files[recent.pk])
    assert SECRET in _everything_held(held) and SECRET in _everything_held(recent)

    assert dashboard(bm, Filters()) == figures_before
    call_command("verify_audit")
    event = AuditEvent.objects.get(action="escalation_disposed")
    assert event.object_reference == due.reference and event.actor == bm
    assert SECRET not in json.dumps(event.new_values)

    with pytest.raises(privacy.DisposalRefused, match="legal hold"):
        privacy.dispose_escalation(by=bm, escalation=held, reason="x", dry_run=False)
    with pytest.raises(privacy.DisposalRefused, match="not due"):
        privacy.dispose_escalation(by=bm, escalation=recent, reason="x", dry_run=False)
    with pytest.raises(privacy.DisposalRefused, match="already"):
        privacy.dispose_escalation(by=bm, escalation=due, reason="x", dry_run=False)
    assert retention_review(bm, today=timezone.localdate()).due == []


def test_the_business_unit_sees_the_dry_run_before_disposing_on_the_page() -> None:
    world = make_world()
    due = _closed(world, years_ago=36)
    client = signed_in(world.business_manager)
    url = f"/retention/{due.reference}/"
    page = client.get(url).content.decode()
    assert "Dispose of this record" in page and "would be removed" in page
    unconfirmed = client.post(url, {"action": "dispose", "dispose-reason": "Past retention"})
    assert "Confirm" in unconfirmed.content.decode()
    assert SECRET in _everything_held(due)
    done = client.post(
        url, {"action": "dispose", "dispose-reason": "Past retention", "dispose-confirm": "on"}
    )
    assert done.status_code == 302
    assert SECRET not in _everything_held(Escalation.objects.get(pk=due.pk))
    assert signed_in(world.dsl).post(url, {"action": "dispose"}).status_code == 403


def test_disposal_empties_documents_stored_with_the_escalation() -> None:
    from escalate.reports.models import AttachedForm

    world = make_world()
    due = _closed(world, years_ago=36)
    AttachedForm.objects.create(
        escalation=due,
        kind="board_chair_details",
        title="Details for the Board Chair",
        stage_key="stage_4",
        content=f"Word document about {SECRET}".encode(),
    )
    dry = privacy.dispose_escalation(
        by=world.business_manager, escalation=due, reason="Past retention", dry_run=True
    )
    assert dry.fields["reports.AttachedForm.content"] == 1
    privacy.dispose_escalation(
        by=world.business_manager, escalation=due, reason="Past retention", dry_run=False
    )
    stored = AttachedForm.objects.get(escalation=due)
    assert bytes(stored.content) == b""
    assert SECRET not in stored.title
