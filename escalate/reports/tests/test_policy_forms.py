"""The forms the policies name: filled in from the record, offered as the policy says, audited;
a business unit's own template checked for unknown placeholders and previewed before use."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from docx import Document

from escalate.audit.models import AuditEvent
from escalate.directory.models import Person
from escalate.escalations import services
from escalate.escalations.models import Escalation, Part
from escalate.escalations.tests.factories import (
    ParticipantFactory,
    StageRecordFactory,
    World,
    make_world,
)
from escalate.reports import policy_forms
from escalate.reports.models import FormTemplate
from escalate.reports.tests.record_support import docx_text

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
    preview = client.get(reverse("reports:form_template_preview", args=[template.pk]))
    assert preview.status_code == 200
    assert "OUR FORM PREVIEW-2026-0001" in docx_text(preview.content)
    escalation = _raised(world)
    made = client_for(world.teacher).post(
        form_url(escalation, "escalation_form"), {"reason": "Board"}
    )
    assert "OUR FORM" not in docx_text(made.content)  # not used until chosen
    assert client.get(reverse("reports:form_template_use", args=[template.pk])).status_code == 405
    assert client.post(reverse("reports:form_template_use", args=[template.pk])).status_code == 302
    made = client_for(world.teacher).post(
        form_url(escalation, "escalation_form"), {"reason": "Board"}
    )
    assert f"OUR FORM {escalation.reference}" in docx_text(made.content)
    assert "Level 1: worker to worker: In progress" in docx_text(made.content)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"form_template_uploaded", "form_template_used"} <= actions


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
    assert client_for(other).get(preview).status_code == 404
    use = reverse("reports:form_template_use", args=[template.pk])
    assert client_for(other).post(use).status_code == 404
    assert client_for(world.teacher).post(use).status_code == 403


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
