"""Print the current one-time code for the demo people (the demo's shared authenticator key)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from escalate.web.mfa import demo_code


class Command(BaseCommand):
    help = "Print the current demo one-time code (demo data only; refused in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("There are no demo codes in production.")
        self.stdout.write(demo_code())
