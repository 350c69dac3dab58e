"""Issue 21's "Done when", as one story: escalations across several years; the retention review;
disposal of those due (personal data gone from the database and storage, figures unchanged,
`verify_audit` intact, the disposal in the audit); those on hold kept; a child's linked
escalations found only by permitted roles, each seeing only what they may; a subject access
export whose contents list matches what is held."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person
from escalate.escalations import services
from escalate.escalations.models import Escalation, EscalationLink, RaiseDraft, Status
from escalate.escalations.tests.factories import World, make_world
from escalate.escalations.tests.views_support import signed_in
from escalate.evidence.models import Attachment
from escalate.evidence.services import attach_evidence
from escalate.evidence.storage import evidence_storage
from escalate.privacy import services as privacy
from escalate.privacy.disposal import _rows_of
from escalate.privacy.review import retention_review
from escalate.privacy.search import SubjectQuery, matching_escalations
from escalate.reports.selectors import Filters, dashboard

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OLD_CHILD = "Zebedee Quorndon"
SAM = "Sam Example"
SAM_BORN = date(2016, 5, 4)


def _years_ago(years: float) -> datetime:
    return timezone.now() - timedelta(days=int(365.25 * years))


def _raise(
    world: World, by: Person, name: str, born: date, *, raised: float, closed: float | None = None
) -> Escalation:
    escalation = services.raise_escalation(
        by=by,
        details=world.details(
            subject_name=name,
            subject_date_of_birth=born,
            case_references=f"LCS {name}",
            disputed=f"{name} was not seen.",
        ),
    )
    attach_evidence(
        by=by,
        escalation=escalation,
        upload=SimpleUploadedFile(f"{name}.pdf", PDF, content_type="application/pdf"),
    )
    changes: dict[str, object] = {"raised_at": _years_ago(raised)}
    if closed is not None:
        changes |= {"status": Status.RESOLVED, "closed_at": _years_ago(closed)}
    Escalation.objects.filter(pk=escalation.pk).update(**changes)
    escalation.refresh_from_db()
    return escalation


def _held(escalation: Escalation) -> str:
    return json.dumps(
        [
            {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
            for row in _rows_of(escalation)
        ],
        default=str,
    )


def _page(person: Person, escalation: Escalation) -> str:
    response = signed_in(person).get(escalation.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_issue_21_done_when() -> None:
    world = make_world()
    bm = world.business_manager
    born_old = date(1985, 6, 7)
    # Across the years: a child's escalations closed 36 years ago (due), one kept on hold,
    # and three about Sam raised over the last three years, one of them by another agency.
    due = _raise(world, world.teacher, OLD_CHILD, born_old, raised=37, closed=36)
    due_again = _raise(world, world.nurse, OLD_CHILD, born_old, raised=36.5, closed=36)
    held = _raise(world, world.teacher, "Ottoline Held", date(1984, 1, 1), raised=38, closed=37)
    sam_first = _raise(world, world.teacher, SAM, SAM_BORN, raised=3, closed=2)
    sam_nurse = _raise(world, world.nurse, SAM, SAM_BORN, raised=1)
    # The third about Sam goes through the raise pages: the teacher is offered the one they
    # may see, and links it; the nurse's, which they may not see, is never mentioned.
    RaiseDraft.objects.create(
        person=world.teacher,
        data={
            "immediate_harm": "no",
            "respondent_agency": world.csc.pk,
            "respondent_choice": str(world.social_worker.pk),
            "subject_kind": "child",
            "subject_name": SAM,
            "subject_date_of_birth": SAM_BORN.isoformat(),
            "case_references": "",
            "flags": [],
            "categories": ["threshold"],
            "disputed": "Sam was not seen again.",
            "risk": "Neglect continues.",
            "outcome_wanted": "A strategy discussion.",
            "already_tried": "A call.",
        },
    )
    teacher = signed_in(world.teacher)
    check = teacher.get("/escalations/raise/check/").content.decode()
    assert sam_first.reference in check and sam_nurse.reference not in check
    assert (
        teacher.post("/escalations/raise/check/", {"link_to": [sam_first.reference]}).status_code
        == 302
    )
    sam_now = Escalation.objects.get(raised_by=world.teacher, disputed="Sam was not seen again.")
    links = {(link.earlier_id, link.later_id): link.kind for link in EscalationLink.objects.all()}
    assert links == {
        (due.pk, due_again.pk): EscalationLink.Kind.IDENTIFIERS,
        (sam_first.pk, sam_nurse.pk): EscalationLink.Kind.IDENTIFIERS,
        (sam_first.pk, sam_now.pk): EscalationLink.Kind.RAISER,
        (sam_nurse.pk, sam_now.pk): EscalationLink.Kind.IDENTIFIERS,
    }
    privacy.place_legal_hold(by=bm, escalation=held, reason="Practice review")
    figures_before = dashboard(bm, Filters())
    repeats = Escalation.objects.filter(is_repeat=True)
    assert set(repeats) == {due_again, sam_nurse, sam_now}
    files = {e.pk: Attachment.objects.get(escalation=e).stored_name for e in (due, due_again, held)}

    # The retention review lists those due and those held.
    today = timezone.localdate()
    review = retention_review(bm, today=today)
    assert set(review.due) == {due, due_again} and review.held == [held]

    # Disposal of those due: personal data gone from the database and storage, figures
    # (the repeat count too) unchanged, the audit chain intact and holding each disposal.
    for record in (due, due_again):
        dry = privacy.dispose_escalation(by=bm, escalation=record, reason="Past", dry_run=True)
        assert dry.rows_changed > 0
        privacy.dispose_escalation(by=bm, escalation=record, reason="Past", dry_run=False)
        record.refresh_from_db()
        text = _held(record)
        for secret in (OLD_CHILD, "Zebedee", born_old.isoformat(), world.teacher.email):
            assert secret not in text, secret
        assert not evidence_storage().exists(files[record.pk])
    assert dashboard(bm, Filters()) == figures_before
    assert set(repeats) == {due_again, sam_nurse, sam_now}  # the repeat flag survives disposal
    call_command("verify_audit")
    disposed = AuditEvent.objects.filter(action="escalation_disposed")
    assert {event.object_reference for event in disposed} == {due.reference, due_again.reference}
    assert OLD_CHILD not in json.dumps([event.new_values for event in disposed])
    # A disposed record matches no one any more: nothing links to it or finds it by name.
    assert not matching_escalations(bm, SubjectQuery(name=OLD_CHILD)).exists()

    # Those on hold are kept, whole.
    with pytest.raises(privacy.DisposalRefused, match="legal hold"):
        privacy.dispose_escalation(by=bm, escalation=held, reason="x", dry_run=False)
    assert "Ottoline" in _held(held) and evidence_storage().exists(files[held.pk])
    assert retention_review(bm, today=today).due == []

    # A child's linked escalations: found only by the permitted roles, each seeing only what
    # they may see, and each escalation's page shows the others only to those who see both.
    sams = {sam_first.reference, sam_nurse.reference, sam_now.reference}
    found = signed_in(bm).post("/find-a-person/", {"name": SAM, "reason": "repeat_concern"})
    assert all(reference in found.content.decode() for reference in sams)
    assert (
        signed_in(world.teacher)
        .post("/find-a-person/", {"name": SAM, "reason": "repeat_concern"})
        .status_code
        == 403
    )
    dsl_found = {e.reference for e in matching_escalations(world.dsl, SubjectQuery(name=SAM))}
    dsl_page = (
        signed_in(world.dsl)
        .post("/find-a-person/", {"name": SAM, "reason": "repeat_concern"})
        .content.decode()
    )
    assert sam_nurse.reference not in dsl_found and sam_nurse.reference not in dsl_page
    business_unit_view = _page(bm, sam_now)
    assert sam_first.reference in business_unit_view and sam_nurse.reference in business_unit_view
    teacher_view = _page(world.teacher, sam_now)
    assert sam_first.reference in teacher_view and sam_nurse.reference not in teacher_view
    assert sam_now.reference not in _page(world.nurse, sam_nurse)

    # Subject access for Sam: the contents list names exactly the records held about Sam.
    response = signed_in(bm).post(
        "/find-a-person/", {"export": "yes", "reason": "subject_access", "name": SAM}
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("subject-access.json"))
    held_about_sam = set(
        Escalation.objects.filter(subject_name=SAM).values_list("reference", flat=True)
    )
    assert {line["reference"] for line in document["contents"]} == held_about_sam == sams
    assert {record["reference"] for record in document["records"]} == sams
    for line in document["contents"]:
        # Every evidence file held is listed as withheld, with the reason; nothing else is.
        files_held = Attachment.objects.filter(escalation__reference=line["reference"])
        assert sorted(item.split(":")[0] for item in line["withheld"]) == sorted(
            files_held.values_list("name", flat=True)
        )
        assert all("reviews each file for third parties" in item for item in line["withheld"])
    assert sum(len(line["withheld"]) for line in document["contents"]) == 2
    call_command("verify_audit")
