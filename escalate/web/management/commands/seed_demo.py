"""Load the fictitious demo partnerships and print how to sign in. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from escalate.directory.demo import DEMO_PASSWORD, create_demo_directory
from escalate.escalations.demo import create_demo_escalations
from escalate.policies.demo import load_demo_policies


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
        for directory in (riverside, eastmoor):
            self.stdout.write(f"\n{directory.partnership.name}")
            for person in directory.people.values():
                roles = ", ".join(sorted(person.role_set))
                self.stdout.write(f"  {person.email:<40} {person.job_title} ({roles})")
