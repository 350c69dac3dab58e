"""The evidence store: `STORAGES["evidence"]`, local disk by default, Azure Blob or S3 when set.

No backend gives evidence a public address: local files have no URL, and object-store backends
are configured without public access. Files reach a person only through the checked download view.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages


class EvidenceFileSystemStorage(FileSystemStorage):
    """Local disk under EVIDENCE_ROOT, read at each use so a test can point it elsewhere."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        super().__init__(base_url=None, **kwargs)

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(getattr(self, "_location", None) or settings.EVIDENCE_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def evidence_storage() -> Storage:
    return storages["evidence"]
