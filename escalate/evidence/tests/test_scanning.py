"""Malware scanning: a real clamd on a private socket, with a signature file written here (the
EICAR test file's hash), and a stand-in scanner for the quarantine paths."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import IO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from escalate.audit.models import AuditEvent
from escalate.escalations.tests.factories import EscalationFactory, ParticipantFactory
from escalate.evidence.models import Attachment, ScanStatus
from escalate.evidence.scanning import ClamdScanner, ScannerUnavailable, Verdict
from escalate.web.testing import sign_in

pytestmark = pytest.mark.django_db
# The EICAR anti-virus test file: harmless, recognised by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path: Path) -> Path:
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.EVIDENCE_ROOT


@pytest.fixture(scope="module")
def clamd_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CLAMD).exists():
        pytest.skip("clamd is not installed (apt-get install clamav-daemon)")
    home = tmp_path_factory.mktemp("clamd")
    database = home / "db"
    database.mkdir()
    # An MD5 signature (hash:size:name): no download needed.
    md5 = hashlib.md5(EICAR).hexdigest()
    (database / "escalate-test.hdb").write_text(f"{md5}:{len(EICAR)}:Escalate-Test-EICAR\n")
    socket_path = home / "clamd.sock"
    config = home / "clamd.conf"
    config.write_text(
        f"LocalSocket {socket_path}\nDatabaseDirectory {database}\nForeground yes\n"
        f"LogFile {home / 'clamd.log'}\nPidFile {home / 'clamd.pid'}\n"
        "StreamMaxLength 20M\nMaxThreads 2\nTCPSocket 0\n"
    )
    process = subprocess.Popen(
        [CLAMD, "--config-file", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not socket_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log = (home / "clamd.log").read_text() if (home / "clamd.log").exists() else ""
                pytest.fail(f"clamd did not start: {process.stderr.read()!r} {log}")
            time.sleep(0.1)
        yield str(socket_path)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def case():
    participant = ParticipantFactory(escalation=EscalationFactory())
    client = Client()
    sign_in(client, participant.person)
    return participant.escalation, client


def _upload(client: Client, escalation, name: str, content: bytes):
    return client.post(
        f"/escalations/{escalation.reference}/evidence/",
        {"file": SimpleUploadedFile(name, content, content_type="text/plain")},
    )


def test_clamd_finds_the_test_file_and_passes_an_ordinary_one(clamd_socket: str) -> None:
    scanner = ClamdScanner(clamd_socket)
    assert scanner.scan(io.BytesIO(b"Ordinary meeting notes.\n")) == Verdict(clean=True)
    assert scanner.scan(io.BytesIO(EICAR)) == Verdict(
        clean=False, signature="Escalate-Test-EICAR.UNOFFICIAL"
    )


def test_an_infected_upload_is_refused_audited_and_never_stored(
    clamd_socket: str, settings, case, _evidence_root: Path
) -> None:
    settings.EVIDENCE_SCANNER = "clamd"
    settings.EVIDENCE_CLAMD_SOCKET = clamd_socket
    escalation, client = case
    response = _upload(client, escalation, "notes.txt", EICAR)
    assert response.status_code == 200
    assert "contains a virus (Escalate-Test-EICAR.UNOFFICIAL) and was not added" in (
        response.content.decode()
    )
    assert not Attachment.objects.exists()
    assert not _evidence_root.exists() or not any(_evidence_root.rglob("*"))
    refused = AuditEvent.objects.get(action="evidence_refused_malware")
    assert refused.new_values["signature"] == "Escalate-Test-EICAR.UNOFFICIAL"


def test_a_clean_upload_is_marked_checked_and_can_be_downloaded(
    clamd_socket: str, settings, case
) -> None:
    settings.EVIDENCE_SCANNER = "clamd"
    settings.EVIDENCE_CLAMD_SOCKET = clamd_socket
    escalation, client = case
    assert _upload(client, escalation, "notes.txt", b"Ordinary notes.").status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.scan_status, attachment.scanned_by) == (ScanStatus.CLEAN, "clamd")
    url = f"/escalations/{escalation.reference}/evidence/{attachment.pk}/"
    assert client.get(url).status_code == 200


class DownScanner:
    name = "down"

    def scan(self, stream: IO[bytes]) -> Verdict:
        raise ScannerUnavailable("not answering")


def test_while_the_scanner_is_down_files_stay_quarantined_until_scanned(
    clamd_socket: str, settings, case
) -> None:
    settings.EVIDENCE_SCANNER = f"{__name__}.DownScanner"
    escalation, client = case
    assert _upload(client, escalation, "notes.txt", b"Ordinary notes.").status_code == 302
    _upload(client, escalation, "other.txt", EICAR)
    clean, infected = Attachment.objects.order_by("pk")
    assert clean.scan_status == infected.scan_status == ScanStatus.QUARANTINED
    listing = client.get(f"/escalations/{escalation.reference}/evidence/").content.decode()
    assert "Being checked for viruses" in listing
    url = f"/escalations/{escalation.reference}/evidence/{clean.pk}/"
    assert client.get(url).status_code == 404  # not available yet
    settings.EVIDENCE_SCANNER = "clamd"
    settings.EVIDENCE_CLAMD_SOCKET = clamd_socket
    call_command("scan_evidence", stdout=StringIO())
    clean.refresh_from_db()
    infected.refresh_from_db()
    assert clean.scan_status == ScanStatus.CLEAN
    assert infected.scan_status == ScanStatus.INFECTED
    assert client.get(url).status_code == 200
    assert (
        client.get(f"/escalations/{escalation.reference}/evidence/{infected.pk}/").status_code
        == 404
    )
    assert AuditEvent.objects.filter(action="evidence_scanned").count() == 2


def test_without_a_scanner_files_are_marked_not_scanned(settings, case) -> None:
    settings.EVIDENCE_SCANNER = ""
    escalation, client = case
    assert _upload(client, escalation, "notes.txt", b"Ordinary notes.").status_code == 302
    assert Attachment.objects.get().scan_status == ScanStatus.NOT_SCANNED
