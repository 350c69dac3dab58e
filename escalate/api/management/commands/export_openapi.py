"""Write the API's OpenAPI document to docs/api/openapi.json (or --output), as committed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from escalate.api.api import api

DEFAULT_PATH = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.json"


def openapi_text() -> str:
    """The document exactly as committed: sorted keys, two-space indent, a final newline."""
    return json.dumps(api.get_openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write the OpenAPI document of /api/v1/ to docs/api/openapi.json."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", type=Path, default=DEFAULT_PATH)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["output"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(openapi_text(), encoding="utf-8")
        self.stdout.write(f"Wrote {path}")
