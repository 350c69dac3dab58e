"""Evidence: size limit, type by content, random names outside the web root, checked downloads."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.directory.tests.factories import PersonFactory
from escalate.escalations.models import Status
from escalate.escalations.tests.factories import EscalationFactory, ParticipantFactory
from escalate.evidence.models import Attachment
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path: Path) -> Path:
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


@pytest.fixture
def case():
    escalation = EscalationFactory()
    participant = ParticipantFactory(escalation=escalation)
    client = Client()
    sign_in(client, participant.person)
    return escalation, participant.person, client


def _upload(client: Client, escalation, name: str, content: bytes, content_type: str = "x/y"):
    return client.post(
        f"/escalations/{escalation.reference}/evidence/",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def _without_csrf(page: bytes) -> bytes:
    # The sign-out form's CSRF token is masked afresh on every page; nothing else may differ.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", page)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_a_pdf_is_stored_under_a_random_name_outside_the_web_root(case, _evidence_root) -> None:
    escalation, person, client = case
    response = _upload(client, escalation, "meeting notes.pdf", PDF_BYTES, "application/pdf")
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "meeting_notes.pdf"
    assert attachment.content_type == "application/pdf"
    assert "meeting" not in attachment.stored_name and escalation.reference not in (
        attachment.stored_name
    )
    stored = _evidence_root / attachment.stored_name
    assert stored.read_bytes() == PDF_BYTES
    assert (stored.stat().st_mode & 0o077) == 0  # readable by the service only
    event = AuditEvent.objects.get(action="evidence_attached")
    assert event.object_reference == escalation.reference
    assert event.actor == person


def test_the_type_comes_from_the_content_not_the_name(case) -> None:
    escalation, _, client = case
    assert _upload(client, escalation, "photo.txt", PNG_BYTES).status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "photo.png"
    assert attachment.content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>"),
        ("scan.png", b"MZ\x90\x00\x03\x00\x00\x00 this is a Windows program"),
        ("letter.docx", b"PK\x03\x04 not really a zip"),
        ("notes.txt", b"\x00\x01\x02binary"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
    ],
)
def test_files_that_are_not_an_allowed_type_are_refused_whatever_their_name(
    case, name: str, content: bytes
) -> None:
    escalation, _, client = case
    response = _upload(client, escalation, name, content, "application/pdf")
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "The selected file must be a PDF, PNG image, JPEG image, Word document" in page
    assert not Attachment.objects.exists()


def test_a_word_document_is_recognised_by_its_structure(case) -> None:
    escalation, _, client = case
    assert _upload(client, escalation, "chronology", _docx()).status_code == 302
    assert Attachment.objects.get().name == "chronology.docx"


def test_a_file_over_the_limit_is_refused(case, settings) -> None:
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    escalation, _, client = case
    response = _upload(client, escalation, "big.pdf", PDF_BYTES + b" " * (1024 * 1024))
    assert "The selected file must be smaller than 1MB" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_empty_or_missing_file_is_explained(case) -> None:
    escalation, _, client = case
    assert (
        "The selected file is empty" in _upload(client, escalation, "a.pdf", b"").content.decode()
    )
    missing = client.post(f"/escalations/{escalation.reference}/evidence/", {})
    assert "Select a file" in missing.content.decode()


def test_nothing_can_be_added_to_a_closed_escalation(case) -> None:
    escalation, _, client = case
    escalation.status = Status.RESOLVED
    escalation.save(update_fields=["status"])
    response = _upload(client, escalation, "late.pdf", PDF_BYTES)
    assert "evidence can no longer be added" in response.content.decode()
    assert not Attachment.objects.exists()


def test_download_is_an_attachment_with_the_checked_type_and_is_audited(case) -> None:
    escalation, person, client = case
    _upload(client, escalation, "notes.pdf", PDF_BYTES)
    attachment = Attachment.objects.get()
    response = client.get(f"/escalations/{escalation.reference}/evidence/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="notes.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert AuditEvent.objects.filter(action="evidence_downloaded", actor=person).count() == 1


def test_other_people_get_the_same_404_as_for_an_attachment_that_does_not_exist(case) -> None:
    escalation, _, client = case
    _upload(client, escalation, "notes.pdf", PDF_BYTES)
    attachment = Attachment.objects.get()
    own_url = f"/escalations/{escalation.reference}/evidence/{attachment.pk}/"
    missing_url = f"/escalations/{escalation.reference}/evidence/{attachment.pk + 999}/"

    same_partnership = PersonFactory(agency__partnership=escalation.partnership)
    other_partnership = PersonFactory()
    for outsider in (same_partnership, other_partnership):
        other = Client()
        sign_in(other, outsider)
        refused = other.get(own_url)
        absent = other.get(missing_url)
        assert refused.status_code == absent.status_code == 404
        assert _without_csrf(refused.content) == _without_csrf(absent.content)
        listing = other.get(f"/escalations/{escalation.reference}/evidence/")
        assert listing.status_code == 404
        before = Attachment.objects.count()
        assert _upload(other, escalation, "x.pdf", PDF_BYTES).status_code == 404
        assert Attachment.objects.count() == before
    # ...and the participant's own request for a missing id is a 404 too.
    assert client.get(missing_url).status_code == 404


def test_another_escalations_attachment_cannot_be_reached_through_a_visible_one(case) -> None:
    escalation, _, client = case
    elsewhere = ParticipantFactory()
    other = Client()
    sign_in(other, elsewhere.person)
    _upload(other, elsewhere.escalation, "theirs.pdf", PDF_BYTES)
    theirs = Attachment.objects.get()
    response = client.get(f"/escalations/{escalation.reference}/evidence/{theirs.pk}/")
    assert response.status_code == 404


def test_uploaded_files_have_no_public_address(case, settings) -> None:
    escalation, _, client = case
    _upload(client, escalation, "notes.pdf", PDF_BYTES)
    attachment = Attachment.objects.get()
    for guess in (
        f"/media/{attachment.stored_name}",
        f"/static/{attachment.stored_name}",
        f"/uploads/evidence/{attachment.stored_name}",
    ):
        assert client.get(guess).status_code == 404


def test_the_escalation_page_lists_the_evidence_with_links_to_it(case) -> None:
    escalation, person, client = case
    page = client.get(f"/escalations/{escalation.reference}/").content.decode()
    assert "No evidence has been added." in page
    _upload(client, escalation, "meeting notes.pdf", PDF_BYTES, "application/pdf")
    attachment = Attachment.objects.get()
    page = client.get(f"/escalations/{escalation.reference}/").content.decode()
    link = f'href="/escalations/{escalation.reference}/evidence/{attachment.pk}/"'
    assert link in page
    assert "meeting_notes.pdf" in page and f"Added by {person.full_name}" in page
    assert (
        client.get(f"/escalations/{escalation.reference}/evidence/{attachment.pk}/").status_code
        == 200
    )
