"""Evidence in a shared object store (Azure Blob Storage), against Azurite on loopback.

Azurite is Microsoft's storage emulator (npm `azurite`, installed by `make setup`). Every
machine of a deployment reads and writes the same container, so a file uploaded through one
web machine downloads through another; nothing in the container is publicly readable.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from escalate.config import evidence_storage_setting
from escalate.escalations.tests.factories import EscalationFactory, ParticipantFactory
from escalate.evidence.models import Attachment
from escalate.web.testing import sign_in

ROOT = Path(__file__).resolve().parents[3]
AZURITE = ROOT / "node_modules" / ".bin" / "azurite-blob"
# Azurite's documented development account (public, emulator only).
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not AZURITE.exists(), reason="azurite is not installed (make setup)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Azurite blob service; yields its connection string."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("azurite")
    process = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(folder),
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("Azurite did not start within 30 seconds")
    yield (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # Azurite sometimes ignores SIGTERM while busy
        process.kill()
        process.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def azure_evidence(azurite: str, settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Evidence configured exactly as production configures it, from the environment."""
    from azure.storage.blob import BlobServiceClient

    container = f"evidence{time.monotonic_ns()}"
    BlobServiceClient.from_connection_string(azurite).create_container(container)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    monkeypatch.setenv("EVIDENCE_AZURE_CONTAINER", container)
    settings.STORAGES = {**settings.STORAGES, "evidence": evidence_storage_setting("azure")}
    yield container


def _blob_names(connection_string: str, container: str) -> list[str]:
    from azure.storage.blob import BlobServiceClient

    client = BlobServiceClient.from_connection_string(connection_string)
    return [blob.name for blob in client.get_container_client(container).list_blobs()]


def test_evidence_uploaded_by_one_machine_downloads_through_another(
    azurite: str, azure_evidence: str
) -> None:
    escalation = EscalationFactory()
    participant = ParticipantFactory(escalation=escalation)
    uploader, reader = Client(), Client()  # two browsers; the store is all they share
    sign_in(uploader, participant.person)
    sign_in(reader, participant.person)
    response = uploader.post(
        f"/escalations/{escalation.reference}/evidence/",
        {"file": SimpleUploadedFile("minutes.pdf", PDF_BYTES, content_type="application/pdf")},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(escalation=escalation)
    assert _blob_names(azurite, azure_evidence) == [attachment.stored_name]

    storages._storages.pop("evidence", None)  # as a fresh process on another machine would
    download = reader.get(f"/escalations/{escalation.reference}/evidence/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_the_container_is_not_publicly_readable(azurite: str, azure_evidence: str) -> None:
    import urllib.error
    import urllib.request

    storage = storages["evidence"]
    name = storage.save("ab/private-test", SimpleUploadedFile("x.pdf", PDF_BYTES))
    endpoint = azurite.split("BlobEndpoint=")[1].rstrip(";")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{endpoint}/{azure_evidence}/{name}", timeout=5)
    assert refused.value.code in {403, 404}


def test_ready_checks_the_object_store(azurite: str, azure_evidence: str, settings) -> None:
    assert Client().get("/health/ready/").json()["checks"]["storage"]["ok"] is True
    # A store that cannot be reached makes the machine "not ready", never a 500.
    port = azurite.split("BlobEndpoint=http://127.0.0.1:")[1].split("/")[0]
    broken = azurite.replace(f"127.0.0.1:{port}", f"127.0.0.1:{_free_port()}")
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "storages.backends.azure_storage.AzureStorage",
            "OPTIONS": {
                "connection_string": broken,
                "azure_container": azure_evidence,
                "timeout": 2,
                "client_options": {"retry_total": 0},
            },
        },
    }
    response = Client().get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False
