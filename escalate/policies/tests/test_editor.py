"""The policy editor: line-precise errors, preview and diff, publish as a new version."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.directory.models import AgencyType, Person, Role
from escalate.directory.tests.factories import AgencyFactory, PersonFactory
from escalate.policies.models import PolicyVersion

pytestmark = pytest.mark.django_db

WEST_SUSSEX = (Path(settings.POLICY_DIR) / "west-sussex.yaml").read_text(encoding="utf-8")


def business_manager() -> Person:
    agency = AgencyFactory(agency_type=AgencyType.PARTNERSHIP)
    for _ in range(3):
        AgencyFactory(partnership=agency.partnership)
    manager: Person = PersonFactory(agency=agency, roles=[Role.BUSINESS_MANAGER])
    return manager


def test_a_shipped_policy_is_offered_checked_previewed_and_published(client: Client) -> None:
    manager = business_manager()
    client.force_login(manager)
    start = client.get("/policy/edit/?start=west-sussex.yaml").content.decode()
    assert "west-sussex.yaml" in start and "Escalation" in start
    preview = client.post("/policy/edit/", {"text": WEST_SUSSEX, "action": "check"})
    text = preview.content.decode()
    assert "The policy is valid" in text and "The first policy" in text and "<svg" in text
    assert not PolicyVersion.objects.exists()
    published = client.post("/policy/edit/", {"text": WEST_SUSSEX, "action": "publish"})
    assert published.status_code == 302 and published["Location"] == "/policy/"
    version = PolicyVersion.objects.get()
    assert version.number == 1 and version.loaded_by == manager
    assert AuditEvent.objects.filter(action="policy_loaded", actor=manager).exists()

    changed = WEST_SUSSEX.replace("working_days: 5", "working_days: 7", 1)
    assert changed != WEST_SUSSEX
    diff = client.post("/policy/edit/", {"text": changed, "action": "check"}).content.decode()
    assert "timescale 5 working days becomes 7 working days" in diff
    client.post("/policy/edit/", {"text": changed, "action": "publish"})
    assert PolicyVersion.objects.count() == 2


def test_an_invalid_policy_gets_the_line_and_is_never_stored(client: Client) -> None:
    client.force_login(business_manager())
    broken = WEST_SUSSEX.replace("working_days: 5", "working_days: soon", 1)
    line = broken.splitlines().index(
        next(row for row in broken.splitlines() if "working_days: soon" in row)
    )
    for action in ("check", "publish"):
        response = client.post("/policy/edit/", {"text": broken, "action": action})
        text = response.content.decode()
        assert response.status_code == 200
        assert f"Line {line + 1}:" in text and "working_days: soon" in text
    not_yaml = client.post("/policy/edit/", {"text": "stages: [", "action": "publish"})
    assert "not valid YAML" in not_yaml.content.decode()
    empty = client.post("/policy/edit/", {"text": " ", "action": "publish"})
    assert "Enter the policy, or upload a policy file" in empty.content.decode()
    assert not PolicyVersion.objects.exists()


def test_an_uploaded_file_is_checked_and_shown_in_the_text_area(client: Client) -> None:
    client.force_login(business_manager())
    upload = SimpleUploadedFile("policy.yaml", WEST_SUSSEX.encode())
    text = client.post("/policy/edit/", {"file": upload, "action": "check"}).content.decode()
    assert "The policy is valid" in text
    binary = SimpleUploadedFile("policy.yaml", b"\xff\xfe\x00\x01")
    text = client.post("/policy/edit/", {"file": binary, "action": "check"}).content.decode()
    assert "The file must be a YAML text file" in text


def test_only_the_business_unit_edits_the_policy(client: Client) -> None:
    manager = business_manager()
    practitioner = PersonFactory(agency=manager.agency)
    client.force_login(practitioner)
    assert client.get("/policy/edit/").status_code == 403
    assert (
        client.post("/policy/edit/", {"text": WEST_SUSSEX, "action": "publish"}).status_code == 403
    )
    assert not PolicyVersion.objects.exists()
