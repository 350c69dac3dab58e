"""Load the fictitious demo partnerships and print how to sign in. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from escalate.directory.demo import DEMO_PASSWORD, create_demo_directory
from escalate.escalations.demo import create_demo_escalations
from escalate.policies.demo import load_demo_policies
from escalate.web.mfa import DEMO_TOTP_SECRET, give_demo_device


class Command(BaseCommand):
    help = "Create (or keep) the demo partnerships, people and data, and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        riverside, eastmoor = create_demo_directory()
        for version, created in load_demo_policies(riverside.partnership, eastmoor.partnership):
            self.stdout.write(f"Policy {version} ({'loaded' if created else 'unchanged'})")
        create_demo_escalations(riverside)
        self.stdout.write(
            self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000")
        )
        self.stdout.write(f"Every demo password is: {DEMO_PASSWORD}")
        if not settings.PRODUCTION:
            for directory in (riverside, eastmoor):
                for person in directory.people.values():
                    give_demo_device(person)
            self.stdout.write(
                "Sign-in also asks for a one-time code. Demo people share one demo-only key: add "
                f"{DEMO_TOTP_SECRET} to an authenticator app (time-based), or get the current "
                "code with: .venv/bin/python manage.py demo_code"
            )
        for directory in (riverside, eastmoor):
            self.stdout.write(f"\n{directory.partnership.name}")
            for person in directory.people.values():
                roles = ", ".join(sorted(person.role_set))
                self.stdout.write(f"  {person.email:<40} {person.job_title} ({roles})")
