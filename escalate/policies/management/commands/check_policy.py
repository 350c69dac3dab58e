"""manage.py check_policy FILE: validate a policy file without loading it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.policies.loader import PolicyFileError, parse_policy_file
from escalate.policies.management.commands.load_policy import one_line


class Command(BaseCommand):
    help = "Check that a policy file is valid, and summarise it. Loads nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="+", help="One or more policy files (YAML)")

    def handle(self, *args: Any, **options: Any) -> None:
        failures = []
        for file in options["file"]:
            try:
                spec = parse_policy_file(file)
            except PolicyFileError as error:
                failures.append(one_line(str(error)))
                self.stderr.write(one_line(str(error)))
                continue
            stages = ", ".join(
                f"{stage.key} ({_timescale(stage.timescale)})" for stage in spec.stages
            )
            defaults = sum(stage.timescale.is_default for stage in spec.stages)
            self.stdout.write(
                self.style.SUCCESS(f"{file}: valid.")
                + f" {spec.name}; covers {spec.covers.value}; {spec.nation.value} bank holidays;"
                f" stages: {stages}; {len(spec.notifications)} notification rules"
                + (f"; {defaults} default timescale(s)" if defaults else "")
                + ("; Resolution Panel at " + spec.panel.stage if spec.panel else "")
            )
        if failures:
            raise CommandError(
                failures[0] if len(failures) == 1 else f"{len(failures)} files are not valid"
            )


def _timescale(timescale: Any) -> str:
    if timescale.hours is not None:
        return f"{timescale.hours} hours"
    if timescale.working_days == 0:
        return "same working day"
    return f"{timescale.working_days} working days"
