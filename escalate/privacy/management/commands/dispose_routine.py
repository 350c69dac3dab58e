"""Remove short-lived personal data past its retention period (drafts, email text, sessions)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand

from escalate.privacy.services import dispose_routine


class Command(BaseCommand):
    help = (
        "Delete drafts, delivered email text and sessions past their retention (docs/privacy.md)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in asdict(dispose_routine()).items():
            self.stdout.write(f"{name.replace('_', ' ')}: {count}")
