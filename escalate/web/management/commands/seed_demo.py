"""Load the fictitious demo partnerships and print how to sign in. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from escalate.directory.demo import DEMO_PASSWORD, DemoDirectory, create_demo_directory
from escalate.directory.models import Person
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
        self.stdout.write(demo_people_table(riverside))
        self.stdout.write(
            f"\n{eastmoor.partnership.name} (a second partnership Riverside must never see): "
            f"{len(eastmoor.people)} people, for example "
            f"{next(iter(eastmoor.people.values())).email}"
        )
        self.stdout.write(FIRST_JOURNEY)
        self.stdout.write(self.style.SUCCESS(f"Demo data is ready. Sign in at {settings.SITE_URL}"))


# Who to try first: a teacher challenges children's social care's decision (see the README).
FIRST_JOURNEY = """
A first journey to try:
  1. Raise: sign in as amira.khan@riverside.example.org (a class teacher) and raise an escalation
     about Riverside Children's Social Care, naming Dan Evans as the person whose decision it is.
  2. Respond: sign in as dan.evans@riverside.example.org (the social worker), open it from
     the home page, and give your rationale.
  3. Manage: if it is not resolved, escalate it; ben.carter@riverside.example.org (Amira's line
     manager) and erin.fox@riverside.example.org (Dan's team manager) take it at Stage 2."""


def demo_people_table(directory: DemoDirectory) -> str:
    """One line per demo person: name, agency, role. Sign-in is first.last@ the domain."""

    def agency(person: Person) -> str:
        return person.agency.name if person.agency else ""

    people = sorted(directory.people.values(), key=lambda p: (agency(p), -p.level, p.full_name))
    domain = people[0].email.split("@", 1)[1] if people else ""
    name_width = max((len(p.full_name) for p in people), default=0) + 2
    agency_width = max((len(agency(p)) for p in people), default=0) + 2
    lines = [
        f"\n{directory.partnership.name}: sign in as first.last@{domain}",
        f"  {'Name':<{name_width}}{'Agency':<{agency_width}}Role",
    ]
    for person in people:
        lines.append(
            f"  {person.full_name:<{name_width}}{agency(person):<{agency_width}}{person.job_title}"
        )
    return "\n".join(lines)
