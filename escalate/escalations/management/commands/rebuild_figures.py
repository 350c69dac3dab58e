"""Count the dashboard's figures again from the escalations (escalations/figures.py).

    manage.py rebuild_figures            # every partnership
    manage.py rebuild_figures --check    # only say whether the stored counts are right

The counts are kept with every write; rebuild after writing escalations around the ORM (a
restore of part of a table, a bulk load) or after changing the working-day calendar by hand.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.escalations import figures


class Command(BaseCommand):
    help = "Count the dashboard's figures again from the escalations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the stored counts with a count from scratch; change nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            stored, counted = figures.stored(), figures.recount()
            wrong = sorted(set(stored) | set(counted))
            wrong = [cell for cell in wrong if stored.get(cell, 0) != counted.get(cell, 0)]
            if wrong:
                raise CommandError(
                    f"{len(wrong)} of the dashboard's counts differ from a recount "
                    f"(first: {wrong[0]}); run manage.py rebuild_figures."
                )
            self.stdout.write(f"The dashboard's {len(counted)} counts equal a recount.")
            return
        cells = figures.rebuild()
        self.stdout.write(f"Counted the dashboard's figures again: {cells} counts.")
