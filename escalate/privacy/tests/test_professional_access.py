"""Subject access export about a professional (issue 21, item 4): everything held about a named
person in the directory, the child's identifiers always withheld, other names when chosen, a
contents list of what is included and withheld and why; audited; the business unit only."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from escalate.audit.models import AuditEvent
from escalate.escalations import services
from escalate.escalations.models import Escalation
from escalate.escalations.tests.factories import World, make_world
from escalate.escalations.tests.views_support import signed_in
from escalate.evidence.services import attach_evidence
from escalate.notifications.models import Notification

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CHILD = "Zebedee Quorndon"


def _url(world: World) -> str:
    return f"/find-a-person/professional/{world.social_worker.pk}/"


def _export(world: World, **form: str) -> tuple[zipfile.ZipFile, dict]:
    response = signed_in(world.business_manager).post(
        _url(world), {"reason": "subject_access", **form}
    )
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return archive, json.loads(archive.read("subject-access.json"))


def _raise(world: World, **more: object) -> str:
    escalation = services.raise_escalation(
        by=world.teacher,
        details=world.details(
            subject_name=CHILD,
            subject_date_of_birth=date(2014, 1, 2),
            case_references="LCS 88123",
            disputed=f"{CHILD} was not seen by the social worker.",
            **more,
        ),
    )
    return escalation.reference


def test_the_export_holds_what_is_held_about_the_professional() -> None:
    world = make_world()
    theirs = _raise(world)  # the social worker is the respondent
    also = _raise(world)
    not_theirs = services.raise_escalation(
        by=world.teacher,
        details=world.details(respondent_agency=world.health, respondent_person=world.nurse),
    ).reference
    attach_evidence(
        by=world.teacher,
        escalation=Escalation.objects.get(reference=theirs),
        upload=SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
    )
    archive, document = _export(world)
    assert set(archive.namelist()) == {
        "subject-access.json",
        "contents.pdf",
        f"records/escalation-{theirs}.pdf",
        f"records/escalation-{also}.pdf",
    }
    assert archive.read("contents.pdf").startswith(b"%PDF")
    assert document["directory_entry"]["email"] == world.social_worker.email
    assert document["directory_entry"]["agency"] == world.csc.name
    assert {r["reference"] for r in document["records"]} == {theirs, also}
    assert not_theirs not in json.dumps(document)
    # The contents list says what is included and what is withheld, and why, for every record.
    contents = {line["reference"]: line for line in document["contents"]}
    assert set(contents) == {
        "Directory entry",
        "Notices sent to them",
        "What they did (audit trail)",
        theirs,
        also,
    }
    assert any("minutes.pdf" in item for item in contents[theirs]["withheld"])
    assert all(
        any("another person's data" in item for item in contents[ref]["withheld"])
        for ref in (theirs, also)
    )
    sent = Notification.objects.filter(recipient=world.social_worker).count()
    assert sent > 0 and len(document["notices"]) == sent
    assert "text" not in json.dumps(document["notices"])  # bodies withheld, as listed
    # The child's identifiers never reach the professional's export.
    text = json.dumps(document)
    for identifier in (CHILD, "Zebedee", "Quorndon", "LCS 88123", "2014-01-02", "2 January 2014"):
        assert identifier not in text
    assert "[withheld: the child or adult this escalation is about]" in text
    # Their own name and the others' are there, unless withheld.
    assert world.social_worker.full_name in text and world.teacher.full_name in text

    event = AuditEvent.objects.get(action="professional_subject_access_exported")
    assert event.actor == world.business_manager
    assert event.object_id == str(world.social_worker.pk)
    assert sorted(event.new_values["contents"]) == sorted(contents)
    assert CHILD not in json.dumps(event.new_values)


def test_other_names_can_be_withheld_but_never_their_own() -> None:
    world = make_world()
    _raise(world)
    _, document = _export(world, withhold_names="on")
    text = json.dumps(document)
    assert world.teacher.full_name not in text
    assert world.social_worker.full_name in text
    assert "[name withheld:" in text
    assert document["names_withheld"] is True
    assert AuditEvent.objects.get(action="professional_subject_access_exported").new_values[
        "withheld_other_names"
    ]


def test_only_the_business_unit_exports_and_only_with_a_reason() -> None:
    world = make_world()
    _raise(world)
    for person in (world.dsl, world.chair, world.social_worker, world.team_manager):
        assert signed_in(person).post(_url(world), {"reason": "subject_access"}).status_code == 403
        assert signed_in(person).get("/find-a-person/professional/").status_code == 403
    no_reason = signed_in(world.business_manager).post(_url(world), {})
    assert no_reason.status_code == 200
    assert "Select why you are making this export" in no_reason.content.decode()
    assert not AuditEvent.objects.filter(action="professional_subject_access_exported").exists()


def test_another_partnerships_professional_is_not_found() -> None:
    world = make_world()
    elsewhere = make_world()
    response = signed_in(elsewhere.business_manager).post(_url(world), {"reason": "subject_access"})
    assert response.status_code == 404
    found = signed_in(elsewhere.business_manager).get(
        "/find-a-person/professional/", {"name": world.social_worker.full_name}
    )
    assert world.social_worker.email not in found.content.decode()
    mine = signed_in(world.business_manager).get(
        "/find-a-person/professional/", {"name": world.social_worker.full_name}
    )
    assert f"/find-a-person/professional/{world.social_worker.pk}/" in mine.content.decode()
