"""Check the audit trail: its hash chains, the last checkpoints of their heads, and that the
domain tables hold nothing the trail does not account for. Exit 1 naming each problem."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalate.audit.checkpoints import check_against_checkpoints, read_checkpoints
from escalate.audit.models import AuditChain
from escalate.audit.services import chain_keys_of
from escalate.audit.verification import cross_check, verify_chain
from escalate.directory.models import Partnership
from escalate.operations.services import record_check


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chains, compare their heads with the checkpoints "
        "written outside the database, and cross-check escalations and stages against it. "
        "Exits non-zero naming the problems."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partnership", metavar="SLUG", help="Check one partnership only.")
        parser.add_argument(
            "--require-checkpoint",
            action="store_true",
            help="Fail when there is no checkpoint to compare with (production).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chains = AuditChain.objects.order_by("key")
        partnership_ids: set[int] | None = None
        chain_keys: set[str] | None = None
        if options["partnership"]:
            partnership = Partnership.objects.filter(slug=options["partnership"]).first()
            if partnership is None:
                raise CommandError(f"No partnership with slug {options['partnership']!r}")
            chain_keys = chain_keys_of(partnership)
            chains = chains.filter(key__in=chain_keys)
            partnership_ids = {partnership.pk}
        problems: list[str] = []
        for chain in chains:
            problem = verify_chain(chain)
            if problem is None:
                self.stdout.write(f"{chain.key}: {chain.length} events, intact")
            else:
                problems.append(f"BROKEN {problem}")

        checkpoints, unreadable = read_checkpoints()
        problems.extend(unreadable)
        if checkpoints:
            problems.extend(check_against_checkpoints(checkpoints, chain_keys=chain_keys))
            self.stdout.write(
                f"Compared with {len(checkpoints)} checkpoint(s), the last {checkpoints[-1].name}."
            )
        elif options["require_checkpoint"]:
            problems.append("no checkpoint found: a cut-off tail could not be detected")
        else:
            self.stdout.write(
                "No checkpoint to compare with: run `manage.py checkpoint_audit` regularly "
                "so a cut-off tail is detected."
            )
        problems.extend(cross_check(partnership_ids=partnership_ids))

        for line in problems:
            self.stderr.write(line)
        # The operator page and /metrics/ show the last whole-trail result.
        if not options["partnership"]:
            record_check(
                name="verify_audit", ok=not problems, detail=problems[0] if problems else ""
            )
        if problems:
            raise CommandError(f"{len(problems)} audit problem(s); first: {problems[0]}")
        self.stdout.write(self.style.SUCCESS("Audit trail intact."))
