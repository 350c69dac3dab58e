"""The forms the policies name: filled in from the record, offered as the policy says, audited;
a business unit's own template checked for unknown placeholders and previewed before use."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person
from escalate.escalations import services
from escalate.escalations.models import EntryKind, Escalation, Part
from escalate.escalations.tests.factories import (
    ParticipantFactory,
    StageRecordFactory,
    World,
    make_world,
)
from escalate.notifications.models import Channel, Notification
from escalate.policies.calendar import govuk_date
from escalate.reports import exports, policy_forms
from escalate.reports.models import AttachedForm, FormTemplate
from escalate.reports.record import build_record
from escalate.reports.tests.record_support import docx_text, pdf_text

pytestmark = pytest.mark.django_db

SHIPPED = {
    "pan-berkshire.yaml": ["professionals_escalation_report", "agency_report"],
    "west-sussex.yaml": ["escalation_form"],
    "havering.yaml": ["board_chair_details"],
}


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _raised(world: World, *, reach: str = "") -> Escalation:
    spec = world.policy.spec
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            subject_name="Robin Example", categories=[spec.categories[0].key], case_references="C-9"
        ),
    )
    if reach:
        StageRecordFactory(escalation=escalation, stage_key=reach, index=spec.stage_index(reach))
    return escalation


def form_url(escalation: Escalation, kind: str) -> str:
    return reverse("reports:escalation_form", args=[escalation.reference, kind])


@pytest.mark.parametrize(
    ("policy_file", "kind"),
    [(policy, kind) for policy, kinds in SHIPPED.items() for kind in kinds],
)
def test_each_named_form_downloads_under_its_policy_with_an_audited_reason(
    policy_file: str, kind: str
) -> None:
    world = make_world(policy_file=policy_file)
    escalation = _raised(world, reach="stage_4")
    client = client_for(world.teacher)  # the raiser
    page = client.get(f"/escalations/{escalation.reference}/").content.decode()
    assert form_url(escalation, kind) in page
    assert client.get(form_url(escalation, kind)).status_code == 200
    response = client.post(form_url(escalation, kind), {"reason": "For the Board meeting"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = docx_text(response.content)
    title = next(form.title for form in world.policy.spec.forms if form.kind == kind)
    assert title in text and escalation.reference in text
    assert world.partnership.name in text
    assert "{{" not in text and "{%" not in text
    if kind != "escalation_form":  # the Escalation Form leaves the child's name out
        assert "Robin Example" in text
    else:
        assert "Robin Example" not in text and "C-9" in text
    event = AuditEvent.objects.get(action=f"export_form_{kind}")
    assert (event.reason, event.object_reference, event.actor) == (
        "For the Board meeting",
        escalation.reference,
        world.teacher,
    )


def test_a_form_is_offered_only_when_and_to_whom_the_policy_says() -> None:
    world = make_world(policy_file="havering.yaml")
    escalation = _raised(world)
    chair_url = form_url(escalation, "board_chair_details")
    # Before Stage 4: nobody, not even the raiser.
    assert client_for(world.teacher).get(chair_url).status_code == 404
    StageRecordFactory(escalation=escalation, stage_key="stage_4", index=3)
    assert client_for(world.teacher).get(chair_url).status_code == 200
    # The respondent sees the escalation but the policy does not give them this form.
    assert client_for(world.social_worker).get(chair_url).status_code == 404
    # The chair, once part of it, has it on the escalation page, marked for them.
    ParticipantFactory(escalation=escalation, person=world.chair, part=Part.PARTNERSHIP_CHAIR)
    page = client_for(world.chair).get(f"/escalations/{escalation.reference}/").content.decode()
    assert chair_url in page and "For you, as chair" in page
    # A form the policy does not name, and someone who may not see the escalation: 404.
    assert client_for(world.teacher).get(form_url(escalation, "agency_report")).status_code == 404
    assert client_for(world.outsider).get(chair_url).status_code == 404
    assert client_for(make_world().business_manager).get(chair_url).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()


def test_no_reason_no_form() -> None:
    world = make_world(policy_file="west-sussex.yaml")
    escalation = _raised(world)
    response = client_for(world.teacher).post(
        form_url(escalation, "escalation_form"), {"reason": ""}
    )
    assert response.status_code == 400
    assert "Enter why you need this export" in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="export_").exists()


def _template(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _upload(
    client: Client, content: bytes, kind: str = "escalation_form", name: str = "ours.docx"
) -> Any:
    return client.post(
        reverse("reports:form_templates"),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


def test_a_custom_template_with_an_unknown_placeholder_is_refused_naming_it() -> None:
    world = make_world(policy_file="west-sussex.yaml")
    client = client_for(world.business_manager)
    response = _upload(
        client, _template("{{ reference }} {{ concern.colour }}", "{{ secret_key }}")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "{{ concern.colour }}" in page and "{{ secret_key }}" in page
    assert "ours.docx" not in page or "has been checked" not in page
    assert not FormTemplate.objects.exists()
    broken = _upload(client, _template("{{ reference "))
    assert broken.status_code == 400
    assert "not written correctly" in broken.content.decode()
    not_word = _upload(client, b"%PDF-1.7 not a template", name="x.docx")
    assert "must be a Word document" in not_word.content.decode()
    wrong_kind = _upload(client, _template("{{ reference }}"), kind="agency_report")
    assert "Select one of the forms your policy names" in wrong_kind.content.decode()
    assert not FormTemplate.objects.exists()


def test_a_custom_template_is_previewed_then_used_for_downloads() -> None:
    world = make_world(policy_file="west-sussex.yaml")
    client = client_for(world.business_manager)
    content = _template(
        "OUR FORM {{ reference }} for {{ partnership }}",
        "{%p for s in stages %}",
        "{{ s.name }}: {{ s.outcome }}",
        "{%p endfor %}",
    )
    assert _upload(client, content).status_code == 302
    template = FormTemplate.objects.get()
    assert not template.in_use
    use = reverse("reports:form_template_use", args=[template.pk])
    page = client.get(reverse("reports:form_templates")).content.decode()
    assert use not in page and "once you have downloaded its preview" in page
    # Not usable before its preview has been downloaded: the confirmation page says so.
    confirm = client.get(use).content.decode()
    assert "Download the preview and check it before you use this template" in confirm
    client.post(use)
    template.refresh_from_db()
    assert not template.in_use
    preview_url = reverse("reports:form_template_preview", args=[template.pk])
    assert client.get(preview_url).status_code == 405  # a preview is a POST: it is audited
    preview = client.post(preview_url)
    assert preview.status_code == 200
    assert "OUR FORM PREVIEW-2026-0001" in docx_text(preview.content)
    assert "Stage 1: Resolved" in docx_text(preview.content)  # the invented escalation
    escalation = _raised(world)
    made = client_for(world.teacher).post(
        form_url(escalation, "escalation_form"), {"reason": "Board"}
    )
    assert "OUR FORM" not in docx_text(made.content)  # not used until chosen
    assert use in client.get(reverse("reports:form_templates")).content.decode()
    confirm = client.get(use)
    assert confirm.status_code == 200
    assert "Use ours.docx for the Escalation Form?" in confirm.content.decode()
    assert client.post(use).status_code == 302
    made = client_for(world.teacher).post(
        form_url(escalation, "escalation_form"), {"reason": "Board"}
    )
    assert f"OUR FORM {escalation.reference}" in docx_text(made.content)
    assert "Level 1: worker to worker: In progress" in docx_text(made.content)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"form_template_uploaded", "form_template_previewed", "form_template_used"} <= actions


def test_only_the_business_unit_manages_templates_and_only_its_own() -> None:
    world = make_world(policy_file="west-sussex.yaml")
    assert client_for(world.teacher).get(reverse("reports:form_templates")).status_code == 403
    assert client_for(world.chair).get(reverse("reports:form_templates")).status_code == 403
    assert _upload(client_for(world.teacher), _template("{{ reference }}")).status_code == 403
    page = client_for(world.business_manager).get(reverse("reports:form_templates"))
    assert page.status_code == 200
    assert "Escalation Form" in page.content.decode()
    template = FormTemplate.objects.create(
        partnership=world.partnership,
        kind="escalation_form",
        name="ours.docx",
        content=_template("{{ reference }}"),
        uploaded_by=world.business_manager,
    )
    other = make_world(policy_file="west-sussex.yaml").business_manager
    preview = reverse("reports:form_template_preview", args=[template.pk])
    assert client_for(other).post(preview).status_code == 404
    use = reverse("reports:form_template_use", args=[template.pk])
    assert client_for(other).get(use).status_code == 404
    assert client_for(other).post(use).status_code == 404
    assert client_for(world.teacher).post(use).status_code == 403
    assert client_for(world.teacher).post(preview).status_code == 403


def test_shipped_templates_use_only_known_placeholders_and_values_are_escaped() -> None:
    for kind in (
        "agency_report",
        "professionals_escalation_report",
        "escalation_form",
        "board_chair_details",
    ):
        assert policy_forms.unknown_placeholders(policy_forms.shipped_template(kind)) == []
    world = make_world(policy_file="west-sussex.yaml")
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            categories=[world.policy.spec.categories[0].key],
            disputed="A & B <w:t>not xml</w:t> {{ reference }}",
        ),
    )
    made = client_for(world.teacher).post(
        form_url(escalation, "escalation_form"), {"reason": "Board"}
    )
    assert "A & B <w:t>not xml</w:t> {{ reference }}" in docx_text(made.content)


def _with_part(content: bytes, name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("ours.docm", _template("{{ reference }}"), "must not contain macros"),
        (
            "ours.docx",
            _with_part(_template("{{ reference }}"), "word/vbaProject.bin", b"\x00VBA"),
            "must not contain macros",
        ),
        ("ours.docx", b"PK\x03\x04 not really a zip", "must be a Word document"),
        ("ours.pdf", b"%PDF-1.7", "must be a Word document (.docx)"),
        ("ours.docx", b"x" * (2 * 1024 * 1024 + 1), "smaller than 2MB"),
    ],
)
def test_a_template_with_macros_too_large_or_not_a_word_document_is_refused(
    name: str, content: bytes, message: str
) -> None:
    world = make_world(policy_file="west-sussex.yaml")
    response = _upload(client_for(world.business_manager), content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FormTemplate.objects.exists()
    # The service refuses it too, whatever page or client sends it.
    with pytest.raises(policy_forms.FormTemplateError, match=message.split(" (")[0]):
        policy_forms.check_upload(name, content)


def test_a_zip_that_is_not_a_word_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "{{ reference }}")
    with pytest.raises(policy_forms.FormTemplateError, match="must be a Word document"):
        policy_forms.check_upload("ours.docx", buffer.getvalue())


def _referred_to_the_chair(world: World) -> Escalation:
    escalation = _raised(world)
    for number, by in ((1, world.teacher), (2, world.dsl), (3, world.head)):
        escalation.refresh_from_db()
        services.record_discussion(
            escalation=escalation,
            by=by,
            expected_version=escalation.version,
            held_on=timezone.localdate(),
            with_whom="The other side",
            method="phone",
            summary=f"Talked at stage {number}.",
            outcome="Not agreed.",
        )
        escalation.refresh_from_db()
        services.escalate_to_next_stage(
            escalation=escalation,
            by=by,
            expected_version=escalation.version,
            reason=f"No agreement at stage {number}.",
        )
    escalation.refresh_from_db()
    return escalation


def test_the_chairs_details_are_attached_in_the_app_at_the_referral_not_emailed() -> None:
    """Havering 004 §2.10-2.11: at the Stage 4 referral the raising agency's details of the
    dispute go to the Chair. They are made then, kept on the escalation for the chair and
    downloaded from its page with an audited reason; no e-mail carries them."""
    world = make_world()  # the generated policy marks its last stage's form for the chair
    escalation = _raised(world)
    assert not AttachedForm.objects.exists()  # nothing before the referral
    escalation = _referred_to_the_chair(world)
    attached = AttachedForm.objects.get(escalation=escalation)
    assert (attached.kind, attached.stage_key, attached.made_by) == (
        "board_chair_details",
        "stage_4",
        world.head,
    )
    made = AuditEvent.objects.get(action="form_attached_for_chair")
    assert made.object_reference == escalation.reference
    assert "made at the referral to" in made.reason
    # It is on the escalation's timeline, for whoever may see the escalation, and in the record.
    prepared = (
        f"Details for the chair prepared for {world.chair.full_name} on "
        f"{govuk_date(attached.made_at)}"
    )
    entry = escalation.chronology.get(kind=EntryKind.FORM_ATTACHED)
    assert (entry.text, entry.stage_key, entry.actor) == (prepared, "stage_4", world.head)
    for person in (world.teacher, world.social_worker):
        page = client_for(person).get(f"/escalations/{escalation.reference}/").content.decode()
        assert "Form prepared for the chair" in page and prepared in page
    record = build_record(escalation)
    listed = [e for stage in record.stages for e in stage.entries if e.kind == "form_attached"]
    assert [(e.title, e.facts[0].value) for e in listed] == [
        ("Form prepared for the chair", prepared)
    ]
    assert prepared in pdf_text(exports.escalation_record_pdf(record))
    assert prepared in docx_text(exports.escalation_record_docx(record))
    # No e-mail to anyone carries or names the document: it is in the app.
    assert not Notification.objects.filter(
        escalation=escalation, channel=Channel.EMAIL, body__icontains="Details for the chair"
    ).exists()
    if not escalation.participants.filter(person=world.chair).exists():
        ParticipantFactory(escalation=escalation, person=world.chair, part=Part.PARTNERSHIP_CHAIR)
    chair = client_for(world.chair)
    url = reverse("reports:escalation_attached_form", args=[escalation.reference, attached.kind])
    page = chair.get(f"/escalations/{escalation.reference}/").content.decode()
    assert url in page and "For you, as chair" in page
    # What was sent stays as it was at the referral; the live form shows what came after.
    services.add_view(escalation=escalation, by=world.iro, view="A view added after referral.")
    assert chair.get(url).status_code == 200
    response = chair.post(url, {"reason": "To decide on a Resolution Panel"})
    assert response.status_code == 200
    text = docx_text(response.content)
    assert "Details for the chair" in text and "Robin Example" in text
    assert "No agreement at stage 3." in text
    assert "A view added after referral." not in text
    live = chair.post(form_url(escalation, "board_chair_details"), {"reason": "As it is now"})
    assert live.status_code == 200, live.content.decode()[-3000:]
    assert "A view added after referral." in docx_text(live.content)
    event = AuditEvent.objects.get(action="export_attached_form_board_chair_details")
    assert (event.actor, event.reason, event.object_reference) == (
        world.chair,
        "To decide on a Resolution Panel",
        escalation.reference,
    )
    # The respondent's side, and anyone who cannot see the escalation: not theirs.
    assert client_for(world.social_worker).get(url).status_code == 404
    assert client_for(world.outsider).post(url, {"reason": "Curious"}).status_code == 404
    assert client_for(make_world().business_manager).get(url).status_code == 404


def test_the_chairs_details_use_the_business_units_template_at_the_referral() -> None:
    world = make_world()
    FormTemplate.objects.create(
        partnership=world.partnership,
        kind="board_chair_details",
        name="ours.docx",
        content=_template("OUR CHAIR FORM {{ reference }}"),
        uploaded_by=world.business_manager,
        in_use=True,
    )
    escalation = _referred_to_the_chair(world)
    attached = AttachedForm.objects.get(escalation=escalation)
    assert f"OUR CHAIR FORM {escalation.reference}" in docx_text(bytes(attached.content))


def test_an_escalation_referred_before_forms_were_attached_gets_its_copy_made_once() -> None:
    world = make_world()
    escalation = _referred_to_the_chair(world)
    AttachedForm.objects.all().delete()
    url = reverse(
        "reports:escalation_attached_form", args=[escalation.reference, "board_chair_details"]
    )
    response = client_for(world.teacher).post(url, {"reason": "For the chair"})
    assert response.status_code == 200
    assert AttachedForm.objects.filter(escalation=escalation).count() == 1
    client_for(world.teacher).post(url, {"reason": "Again, for the chair"})
    assert AttachedForm.objects.filter(escalation=escalation).count() == 1
