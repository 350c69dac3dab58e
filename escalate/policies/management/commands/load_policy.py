"""manage.py load_policy FILE --partnership SLUG: load a policy file as the partnership's policy."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.directory.models import Partnership, Person
from escalate.policies.loader import PolicyFileError
from escalate.policies.services import load_policy


def one_line(message: str) -> str:
    return " ".join(message.split())


class Command(BaseCommand):
    help = (
        "Validate a policy file and load it into a partnership. An unchanged file makes no new "
        "version; an edited one makes the next version (escalations keep the one they began under)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The policy file (YAML), e.g. policies/havering.yaml")
        parser.add_argument("--partnership", required=True, help="The partnership's slug")
        parser.add_argument("--loaded-by", default="", help="Email of the person loading it")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["partnership"]
        partnership = Partnership.objects.filter(slug=slug).first()
        if partnership is None:
            known = ", ".join(Partnership.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No partnership with slug {slug!r}; expected one of: {known}")
        loaded_by = None
        if options["loaded_by"]:
            loaded_by = Person.objects.filter(email=options["loaded_by"].lower()).first()
            if loaded_by is None:
                raise CommandError(f"No person with email {options['loaded_by']!r}")
        try:
            version, created = load_policy(
                partnership=partnership, path=options["file"], loaded_by=loaded_by
            )
        except PolicyFileError as error:
            raise CommandError(one_line(str(error))) from None
        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {version.name} as version {version.number} for {partnership.name}."
                )
            )
        else:
            self.stdout.write(
                f"Unchanged: {partnership.name} already has this policy as version "
                f"{version.number}; no new version."
            )
