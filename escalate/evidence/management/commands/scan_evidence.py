"""Scan evidence kept quarantined because the scanner was down at upload (run it regularly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalate.evidence.services import scan_quarantined


class Command(BaseCommand):
    help = "Scan quarantined evidence: clean files become available, infected ones are removed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = scan_quarantined(limit=options["limit"])
        self.stdout.write(", ".join(f"{status}: {n}" for status, n in counts.items()))
