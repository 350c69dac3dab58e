"""The subject access export (issue 21, item 4): what it holds matches what is held, names are
withheld when chosen, and only the business unit makes one, audited."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from escalate.audit.models import AuditEvent
from escalate.escalations import services
from escalate.escalations.tests.factories import make_world
from escalate.escalations.tests.views_support import signed_in
from escalate.evidence.services import attach_evidence

pytestmark = pytest.mark.django_db

URL = "/find-a-person/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _export(person: object, **form: str) -> zipfile.ZipFile:
    body = {"export": "yes", "reason": "subject_access", **form}
    response = signed_in(person).post(URL, body)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_export_holds_every_record_about_the_child_and_says_what_it_withholds() -> None:
    world = make_world()
    first = services.raise_escalation(
        by=world.teacher, details=world.details(subject_name="Sam Example")
    )
    second = services.raise_escalation(
        by=world.teacher, details=world.details(subject_name="Sam Example")
    )
    services.raise_escalation(by=world.teacher, details=world.details(subject_name="Robin Other"))
    attach_evidence(
        by=world.teacher,
        escalation=first,
        upload=SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
    )
    archive = _export(world.business_manager, name="Sam Example")
    names = set(archive.namelist())
    assert names == {
        "subject-access.json",
        "contents.pdf",
        f"records/escalation-{first.reference}.pdf",
        f"records/escalation-{second.reference}.pdf",
    }
    document = json.loads(archive.read("subject-access.json"))
    assert {r["reference"] for r in document["records"]} == {first.reference, second.reference}
    assert {line["reference"] for line in document["contents"]} == {
        first.reference,
        second.reference,
    }
    withheld = {line["reference"]: line["withheld"] for line in document["contents"]}
    assert any("minutes.pdf" in item for item in withheld[first.reference])
    assert withheld[second.reference] == []
    assert world.teacher.full_name in json.dumps(document)
    assert archive.read("contents.pdf").startswith(b"%PDF")

    event = AuditEvent.objects.get(action="subject_access_exported")
    assert sorted(event.new_values["references"]) == sorted([first.reference, second.reference])
    assert "Sam" not in json.dumps(event.new_values)


def test_other_peoples_names_can_be_withheld_and_the_choice_is_recorded() -> None:
    world = make_world()
    services.raise_escalation(by=world.teacher, details=world.details(subject_name="Sam Example"))
    archive = _export(world.business_manager, name="Sam Example", withhold_names="on")
    text = archive.read("subject-access.json").decode()
    for person in (world.teacher, world.social_worker):
        assert person.full_name not in text
    assert "[name withheld:" in text and "Sam Example" in text
    assert json.loads(text)["names_withheld"] is True
    assert AuditEvent.objects.get(action="subject_access_exported").new_values[
        "withheld_other_names"
    ]


def test_only_the_business_unit_exports() -> None:
    world = make_world()
    services.raise_escalation(by=world.dsl, details=world.details(subject_name="Sam Example"))
    refused = signed_in(world.dsl).post(
        URL, {"export": "yes", "reason": "subject_access", "name": "Sam Example"}
    )
    assert refused.status_code == 403
    searched = signed_in(world.dsl).post(URL, {"reason": "subject_access", "name": "Sam"})
    assert "Download the export" not in searched.content.decode()
    assert not AuditEvent.objects.filter(action="subject_access_exported").exists()


def test_an_export_without_a_reason_is_refused() -> None:
    """Issue 21, "Bad input and refusals": exports without a reason are refused (the form
    answers with its error, no file, nothing audited)."""
    world = make_world()
    services.raise_escalation(by=world.dsl, details=world.details(subject_name="Sam Example"))
    client = signed_in(world.business_manager)
    for reason in ("", "not-a-listed-reason"):
        response = client.post(URL, {"export": "yes", "reason": reason, "name": "Sam Example"})
        assert response["Content-Type"].startswith("text/html")
        assert "govuk-error-summary" in response.content.decode()
    assert not AuditEvent.objects.filter(action="subject_access_exported").exists()
