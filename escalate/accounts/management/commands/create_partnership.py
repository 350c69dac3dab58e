"""manage.py create_partnership: start a partnership and invite its first business manager."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.accounts.services import AccountRefused, create_partnership
from escalate.directory.models import Covers, Nation


class Command(BaseCommand):
    help = (
        "Create a partnership with its business unit and first business manager, who is "
        "emailed a single-use link (7 days) to set their password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The partnership's name")
        parser.add_argument("--nation", choices=Nation.values, default=Nation.ENGLAND)
        parser.add_argument("--covers", choices=Covers.values, default=Covers.CHILDREN)
        parser.add_argument(
            "--prefix", required=True, help="2 to 6 capital letters starting every reference"
        )
        parser.add_argument("--manager-name", required=True)
        parser.add_argument("--manager-email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            partnership, manager = create_partnership(
                by=None,
                name=options["name"],
                nation=options["nation"],
                covers=options["covers"],
                reference_prefix=options["prefix"],
                manager_name=options["manager_name"],
                manager_email=options["manager_email"],
            )
        except AccountRefused as refused:
            raise CommandError(str(refused)) from None
        except ValidationError as invalid:
            messages = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in invalid.message_dict.items()
            )
            raise CommandError(messages) from None
        self.stdout.write(
            f"Started {partnership.name} (prefix {partnership.reference_prefix}). "
            f"{manager.email} has been emailed a link to set their password."
        )
