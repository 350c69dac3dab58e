"""The evidence store: a folder outside the web root with no URL of its own."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def evidence_storage() -> FileSystemStorage:
    # base_url=None: there is no address that serves these files; only the download view does.
    return FileSystemStorage(
        location=settings.EVIDENCE_ROOT, base_url=None, file_permissions_mode=0o600
    )
