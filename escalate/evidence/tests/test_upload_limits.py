"""Uploads: the body limit comes before anything is read, sniffing refuses what could run, Word
files cannot expand without end, and only parties add evidence (issue 19's findings)."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from escalate.escalations import services
from escalate.escalations.tests.factories import (
    EscalationFactory,
    ParticipantFactory,
    make_world,
)
from escalate.evidence import filetypes
from escalate.evidence.models import Attachment
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db
PDF_HEAD = b"%PDF-1.7\n"


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path: Path) -> Path:
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


@pytest.fixture
def case():
    participant = ParticipantFactory(escalation=EscalationFactory())
    client = Client()
    sign_in(client, participant.person)
    return participant.escalation, client


def _upload(client: Client, escalation, name: str, content: bytes):
    return client.post(
        f"/escalations/{escalation.reference}/evidence/",
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
    )


class CountingInput(io.BytesIO):
    """A request body that remembers whether anyone read it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        CountingInput.bytes_read += len(chunk)
        return chunk


def test_a_1gib_upload_is_refused_before_a_byte_is_read(case) -> None:
    escalation, client = case
    CountingInput.bytes_read = 0
    body = CountingInput(b"--x\r\n" + b"A" * 4096)
    response = client.generic(
        "POST",
        f"/escalations/{escalation.reference}/evidence/",
        b"",
        content_type="multipart/form-data; boundary=x",
        **{"CONTENT_LENGTH": str(2**30), "wsgi.input": body},
    )
    assert response.status_code == 413
    assert CountingInput.bytes_read == 0
    assert "The file is too large" in response.content.decode()
    assert "smaller than 11MB" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_api_client_gets_json_for_a_body_too_large() -> None:
    response = Client().generic(
        "POST",
        "/api/v1/escalations",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(50 * 2**20),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_body_under_the_limit_goes_through(case, settings) -> None:
    escalation, client = case
    settings.REQUEST_MAX_BYTES = 4096
    assert _upload(client, escalation, "a.txt", b"notes " * 100).status_code == 302
    assert _upload(client, escalation, "b.txt", b"notes " * 1000).status_code == 413


def _pdf(*objects: bytes) -> bytes:
    return PDF_HEAD + b"\n".join(objects) + b"\n%%EOF\n"


def _flate_stream(content: bytes) -> bytes:
    return b"4 0 obj << /Filter /FlateDecode >> stream\n" + zlib.compress(content) + b"endstream"


def _docx(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param(
            "notes.txt",
            b"\xef\xbb\xbf<html><script>alert(1)</script></html>",
            "must be a PDF",
            id="bom-then-html",
        ),
        pytest.param(
            "notes.txt",
            b"Meeting notes\n<img src=x onerror=alert(1)>\n",
            "contains web page markup",
            id="img-onerror-in-text",
        ),
        pytest.param(
            "notes.txt",
            b"\xef\xbb\xbfnotes <svg/onload=alert(1)>",
            "contains web page markup",
            id="bom-then-svg-later",
        ),
        pytest.param(
            "report.pdf",
            _pdf(b"1 0 obj << /Type /Catalog >> endobj", b"<script>alert(1)</script>"),
            "contains scripts, actions or embedded files",
            id="pdf-with-script-tag",
        ),
        pytest.param(
            "report.pdf",
            _pdf(
                b"1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
            ),
            "contains scripts, actions or embedded files",
            id="pdf-javascript-action",
        ),
        pytest.param(
            "report.pdf",
            _pdf(b"1 0 obj << /OpenAction << /S /J#61vaScript /J#53 (x) >> >> endobj"),
            "contains scripts, actions or embedded files",
            id="pdf-javascript-spelt-with-hex-escapes",
        ),
        pytest.param(
            "report.pdf",
            _pdf(_flate_stream(b"<< /S /Launch /F (cmd.exe) >>")),
            "contains scripts, actions or embedded files",
            id="pdf-launch-action-inside-a-compressed-stream",
        ),
        pytest.param(
            "letter.docx",
            _docx({"word/vbaProject.bin": b"macro"}),
            "contains macros",
            id="docx-with-macros",
        ),
    ],
)
def test_files_that_could_run_something_are_refused(case, name, content, message) -> None:
    escalation, client = case
    response = _upload(client, escalation, name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Attachment.objects.exists()


def test_ordinary_text_pdf_and_word_files_are_still_accepted(case) -> None:
    escalation, client = case
    ordinary = [
        ("notes.txt", "\ufeffNotes: 3 < 5 and the plan is on track; one = two.\n".encode()),
        ("report.pdf", _pdf(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj")),
        ("report2.pdf", _pdf(_flate_stream(b"BT /F1 12 Tf (Hello) Tj ET"))),
        ("letter.docx", _docx({"word/styles.xml": b"<w:styles/>" * 1000})),
    ]
    for name, content in ordinary:
        assert _upload(client, escalation, name, content).status_code == 302, name
    assert Attachment.objects.count() == len(ordinary)


def test_a_word_file_that_expands_past_the_cap_is_refused(case, monkeypatch) -> None:
    monkeypatch.setattr(filetypes, "MAX_EXPANDED_BYTES", 2 * 2**20)
    escalation, client = case
    bomb = _docx({"word/media/zeros.bin": b"\0" * (3 * 2**20)})
    assert len(bomb) < 20_000  # small on the wire, big when opened
    response = _upload(client, escalation, "letter.docx", bomb)
    assert "expands to more than 2MB when opened" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_word_file_whose_sizes_lie_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(filetypes, "MAX_EXPANDED_BYTES", 2**20)
    bomb = bytearray(_docx({"word/media/zeros.bin": b"\0" * (2 * 2**20)}))
    # Rewrite the declared uncompressed size of the big part to 1 byte in the central directory.
    declared = (2 * 2**20).to_bytes(4, "little")
    at = bomb.rfind(declared)
    bomb[at : at + 4] = (1).to_bytes(4, "little")
    # zipfile reads no further than the declared size, then the CRC fails: not a Word file.
    assert filetypes.detect(io.BytesIO(bytes(bomb))) is None


def test_the_business_manager_reads_evidence_but_cannot_add_it() -> None:
    world = make_world()
    escalation = services.raise_escalation(by=world.teacher, details=world.details())
    manager, teacher = Client(), Client()
    sign_in(manager, world.business_manager)
    sign_in(teacher, world.teacher)
    page = manager.get(f"/escalations/{escalation.reference}/evidence/")
    assert page.status_code == 200
    assert "Add evidence" not in page.content.decode()
    assert (
        "Only the people taking part in this escalation can add evidence" in page.content.decode()
    )
    refused = _upload(manager, escalation, "notes.txt", b"notes")
    assert refused.status_code == 403
    assert not Attachment.objects.exists()
    assert (
        "Add evidence"
        in teacher.get(f"/escalations/{escalation.reference}/evidence/").content.decode()
    )
    assert _upload(teacher, escalation, "notes.txt", b"notes").status_code == 302
    assert Attachment.objects.get().uploaded_by == world.teacher
